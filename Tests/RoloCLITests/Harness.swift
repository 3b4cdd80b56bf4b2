import Foundation
import RoloCore
import RoloProviders
import RoloStore
import Testing

/// Runs the built `rolo` binary (`$ROLO_BIN`, else `.build/debug/rolo`) in a private home:
/// its own cache, config and log folders, so tests never touch the user's. The home is
/// removed when the last test object using it (a `Tmux` holds one) lets it go.
final class Rolo: Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["ROLO_BIN"], !explicit.isEmpty { return explicit }
        return repository.appendingPathComponent(".build/debug/rolo").path
    }()
    static let demo = repository.appendingPathComponent("assets/demo").path

    let home: URL
    var cache: String { home.appendingPathComponent("data/rolo/rolo.sqlite").path }

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: home)
    }

    var environment: [String: String] {
        [
            "HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
            "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
            "XDG_STATE_HOME": home.appendingPathComponent("state").path,
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "tester", "ROLO_DEMO_DIR": Rolo.demo,
        ]
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `rolo arguments…`, feeding `input` on stdin (stdin is never a terminal here).
    @discardableResult
    func callAsFunction(_ arguments: String..., input: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        try run(arguments, input: input, environment: extra)
    }

    func run(_ arguments: [String], input: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        let outcome = try Spawned.run(Rolo.binary, arguments, environment: environment.merging(extra) { _, new in new },
                                      input: input.map { Data($0.utf8) } ?? Data())
        return Result(status: outcome.status, stdout: String(decoding: outcome.stdout, as: UTF8.self),
                      stderr: String(decoding: outcome.stderr, as: UTF8.self))
    }

    /// Writes a file in the private home and returns its path.
    func file(_ name: String, _ contents: String) throws -> String {
        let path = home.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes bytes that need not be UTF-8 (a file in a Windows code page) in the private home
    /// and returns its path.
    func file(_ name: String, bytes: Data) throws -> String {
        let path = home.appendingPathComponent(name).path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Puts contacts straight into the cache, unchecked — as a provider pull may bring text no
    /// person could type (escape sequences in a name).
    func seed(_ contacts: [[StandardField: String]], custom: [String: CustomValue] = [:], extensions: [String: JSONValue] = [:],
              account: String = "local", provider: ProviderKind = .local) throws {
        let cache = try LocalCache(path: cache, catalog: .standard)
        let target = try cache.account(named: account) ?? cache.createAccount(name: account, provider: provider)
        try cache.insertContacts(contacts.map { Contact(accountID: target.id, fields: $0, custom: custom, extensions: extensions) },
                                 author: Author(user: "pull", clientAddress: nil))
    }

    /// Parses JSON output (a test failure when it is not JSON).
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

