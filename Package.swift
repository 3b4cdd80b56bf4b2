// swift-tools-version:6.1
//
// rolo — a terminal contact manager over DailyStory, Notifuse and iVvy.
//
// Targets follow the layers of DESIGN.md; every arrow points down:
//
//   rolo (executable) ─> RoloTerminal ─> RoloViewModels ─> RoloSync ─> RoloStore ─> RoloCore
//                                                              └─────> RoloInterchange ─> RoloCore
//   CNcursesw is imported by RoloTerminal only.
//   RoloEmulators (loopback emulators of the three providers) imports no rolo target: it is an
//   independent reading of the providers' wire contracts, for tests, benchmarks and sandboxes.
//   `rolo` does not link it: `rolo sandbox` runs it in its helper, rolo-emulators.
import PackageDescription

let package = Package(
    name: "rolo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rolo", targets: ["rolo"]),
        .executable(name: "rolo-bench", targets: ["RoloBench"]),
        .executable(name: "rolo-emulators", targets: ["RoloSandboxHost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
        // Tests only: generated contacts through every file format and back (RoloInterchangeTests).
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // Pure values: the unified contact model, validation, the query language, text safety.
        .target(
            name: "RoloCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The connection options of SQLite that only C can set (sqlite3_db_config is variadic).
        .target(name: "CSQLiteOptions", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The local cache on SQLite: schema, migrations and every SQL statement.
        .target(
            name: "RoloStore",
            dependencies: [
                "RoloCore", "CSQLiteOptions",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // File formats: rolo JSON, CSV and vCard 3.0/4.0, both directions.
        .target(
            name: "RoloInterchange",
            dependencies: ["RoloCore", .product(name: "CSV", package: "CSV.swift")]
        ),
        // The provider adapters: each maps rolo's model to its provider's wire format over an
        // injected HTTP transport, and supplies its provider's profile (capabilities and rules).
        .target(
            name: "RoloProviders",
            dependencies: ["RoloCore", "CCurl", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // libcurl's easy interface with typed setters (curl_easy_setopt is variadic): the live
        // HTTP transport. Loaded on first use, so that a start of rolo does not map and relocate
        // libcurl's thirty libraries; its header comes from Debian's libcurl4-openssl-dev.
        .target(name: "CCurl"),
        // The services the view models and commands call: reads, edits, accounts and fields,
        // files, drafts and the sync engine, over one local cache. Providers are injected.
        .target(
            name: "RoloSync",
            dependencies: [
                "RoloCore", "RoloStore", "RoloInterchange",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // ncursesw from Debian's libncurses-dev, wide-character API. Only RoloTerminal imports it.
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncurses-dev"])]),
        // Presentation state and intents: no curses, no SQL, no HTTP.
        .target(
            name: "RoloViewModels",
            dependencies: ["RoloCore", "RoloSync"]
        ),
        // The ncurses front end: panes drawn into a canvas, one backend that talks to curses.
        .target(
            name: "RoloTerminal",
            dependencies: ["RoloCore", "RoloViewModels", "CNcursesw"]
        ),
        .executableTarget(
            name: "rolo",
            dependencies: [
                "RoloCore", "RoloStore", "RoloSync", "RoloInterchange", "RoloViewModels", "RoloTerminal", "RoloProviders",
                "RoloSandboxWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Loopback HTTP emulators of DailyStory, Notifuse and iVvy with fault injection, for
        // tests, benchmarks and `rolo sandbox`. An independent reading of PROVIDERS.md: it
        // shares no code with the adapters, so it imports no other rolo target.
        .target(
            name: "RoloEmulators",
            dependencies: [
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What `rolo sandbox` and its helper say to each other (one JSON line each way).
        .target(name: "RoloSandboxWire"),
        // rolo-emulators: `rolo sandbox`'s emulators in a process of their own, so that the
        // `rolo` binary does not link their HTTP server and the networking libraries it brings.
        .executableTarget(name: "RoloSandboxHost", dependencies: ["RoloEmulators", "RoloSandboxWire"]),
        .executableTarget(
            name: "RoloBench",
            dependencies: ["RoloCore", "RoloStore", "RoloInterchange", "RoloSync", "RoloProviders", "RoloEmulators",
                           .product(name: "Logging", package: "swift-log")]
        ),

        .testTarget(name: "RoloCoreTests", dependencies: ["RoloCore", "RoloProviders"]),
        .testTarget(name: "RoloStoreTests", dependencies: ["RoloStore", "RoloCore", "RoloProviders"]),
        .testTarget(
            name: "RoloInterchangeTests",
            dependencies: ["RoloInterchange", "RoloCore", "RoloProviders",
                           .product(name: "PropertyBased", package: "swift-property-based")],
            resources: [.copy("Fixtures")]
        ),
        // The provider adapters against a recording fake transport: the documented example
        // requests and replies (Fixtures, copied from the providers' pages), errors, signing.
        .testTarget(name: "RoloProvidersTests", dependencies: ["RoloProviders", "RoloCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RoloSyncTests", dependencies: ["RoloSync", "RoloStore", "RoloCore", "RoloInterchange", "RoloProviders"]),
        // A deterministic cache for the view-model and screen tests (not shipped).
        .target(
            name: "RoloTestFixtures",
            dependencies: ["RoloCore", "RoloStore", "RoloSync", "RoloViewModels", "RoloProviders", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/RoloTestFixtures"
        ),
        .testTarget(name: "RoloViewModelsTests", dependencies: ["RoloViewModels", "RoloSync", "RoloCore", "RoloTestFixtures", "RoloProviders"]),
        // Screen snapshots: whole screens rendered into the text backend at 80×24, 40×12, 160×48.
        .testTarget(
            name: "RoloTerminalTests",
            dependencies: ["RoloTerminal", "RoloViewModels", "RoloSync", "RoloCore", "RoloTestFixtures", "RoloProviders"],
            // Read and rewritten (ROLO_RECORD_SNAPSHOTS=1) in the source tree, not bundled.
            exclude: ["Snapshots"]
        ),
        // Drives the built `rolo` binary: exit codes, stdout, stderr, and the TUI in tmux. Links
        // the store only to seed caches the way a provider pull would, and the conformance
        // harnesses to sync the binary with each provider's emulator (the crash test).
        .testTarget(name: "RoloCLITests", dependencies: ["RoloStore", "RoloCore", "RoloProviders", "RoloEmulators", "RoloConformance"]),
        // Drives each emulator over real HTTP on loopback with hand-written (and, for iVvy,
        // independently signed) requests.
        .testTarget(
            name: "RoloEmulatorsTests",
            dependencies: ["RoloEmulators", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]
        ),
        // The provider conformance suite: a harness per provider (its adapter over HTTP against
        // its emulator, and the provider's side reached as a colleague would), and the tests
        // every adapter must pass.
        .target(
            name: "RoloConformance",
            dependencies: ["RoloCore", "RoloProviders", "RoloEmulators"],
            path: "Tests/RoloConformance"
        ),
        .testTarget(
            name: "RoloConformanceTests",
            dependencies: ["RoloConformance", "RoloCore", "RoloProviders", "RoloEmulators", "RoloStore", "RoloSync"]
        ),
    ]
)
