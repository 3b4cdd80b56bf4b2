import Foundation
import Logging
import RoloCore
import RoloProviders
import RoloStore

// `make bench`: measures rolo as its users run it. For each size it writes a rolo JSON file of
// synthetic contacts (fixed seed), imports it with the release `rolo import`, and times fresh
// processes of the release binary on the cache that made: `rolo list QUERY`, `rolo list --tsv`
// of everything to a pipe, the TUI's first screen and live filter on a pseudo-terminal, and the
// peak memory of each. Calls into the library from one process (`rolo-bench probe`) follow as
// extra rows, named as such: they show where time goes, not what a user waits for.

// The library's own log lines (the bench edits contacts in-process) are not the report.
LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
let arguments = CommandLine.arguments
if arguments.count >= 4, arguments[1] == "probe" {
    try Probe(path: arguments[2], size: Int(arguments[3]) ?? 0).run()
    exit(0)
}
if arguments.count >= 3, arguments[1] == "tui" {
    // Only the terminal measurements, on a cache built earlier: `rolo-bench tui PATH`.
    let rolo = ProcessInfo.processInfo.environment["ROLO_BIN"] ?? "rolo"
    try TerminalProbe(rolo: rolo, cachePath: arguments[2], directory: NSTemporaryDirectory()).run()
    exit(0)
}

if arguments.count >= 3, arguments[1] == "sync" {
    // Only the sync measurements: `rolo-bench sync SIZE [DIR]`.
    let rolo = ProcessInfo.processInfo.environment["ROLO_BIN"] ?? "rolo"
    let folder = arguments.count >= 4 ? arguments[3] : "bench-data"
    try PrivateFiles.makeFolder(folder)
    try SyncPath(rolo: rolo, directory: folder, size: Int(arguments[2]) ?? 100_000, seed: 7).run()
    exit(0)
}

if arguments.count >= 2, arguments[1] == "in-flight" {
    // Only the rows of requests in flight (DailyStory's refresh, iVvy's push), each request
    // held LATENCY ms: `rolo-bench in-flight [DIR] [LATENCY]`.
    let rolo = ProcessInfo.processInfo.environment["ROLO_BIN"] ?? "rolo"
    let folder = arguments.count >= 3 ? arguments[2] : "bench-data"
    try PrivateFiles.makeFolder(folder)
    var path = SyncPath(rolo: rolo, directory: folder, size: 10_000, seed: 7)
    if arguments.count >= 4, let latency = Int(arguments[3]) { path.latency = latency }
    try path.ivvy()
    try path.dailystory()
    exit(0)
}

if arguments.count >= 3, arguments[1] == "import" {
    // Only the import row: `rolo-bench import SIZE [DIR]` writes the rolo JSON file (kept for
    // the next run) and times the release `rolo import` of it into a new cache.
    let rolo = ProcessInfo.processInfo.environment["ROLO_BIN"] ?? "rolo"
    let folder = arguments.count >= 4 ? arguments[3] : "bench-data"
    try PrivateFiles.makeFolder(folder)
    try UserPath(rolo: rolo, directory: folder, size: Int(arguments[2]) ?? 100_000, seed: 7).importOnly()
    exit(0)
}

if arguments.count >= 4, arguments[1] == "serve" {
    // A Notifuse emulator with SIZE contacts and its configs in DIR, until killed: for
    // profiling `rolo sync` by hand. `rolo-bench serve SIZE DIR`.
    try PrivateFiles.makeFolder(arguments[3])
    let path = SyncPath(rolo: "rolo", directory: arguments[3], size: Int(arguments[2]) ?? 100_000, seed: 7)
    _ = try path.serveNotifuse()
    print("configs in \(arguments[3]); serving until killed")
    fflush(nil)
    while true { sleep(3600) }
}

var sizes = [100_000, 1_000_000]
var directory = "bench-data"
var index = 1
while index < arguments.count {
    switch arguments[index] {
    case "--sizes":
        index += 1
        sizes = arguments[index].split(separator: ",").compactMap { Int($0) }
    case "--dir":
        index += 1
        directory = arguments[index]
    case "--help", "-h":
        print("usage: ROLO_BIN=PATH rolo-bench [--sizes 100000,1000000] [--dir bench-data]\n"
              + "       rolo-bench tui CACHE   (the terminal measurements only; ROLO_BIN names rolo)\n"
              + "       rolo-bench sync SIZE [DIR]   (the sync measurements only)\n"
              + "       rolo-bench in-flight [DIR] [LATENCY_MS]   (DailyStory's refresh and iVvy's push, 4 requests in flight and 1)\n"
              + "       rolo-bench import SIZE [DIR]   (the import row only; the file is kept for the next run)")
        exit(0)
    default:
        FileHandle.standardError.write(Data("rolo-bench: unknown option \(arguments[index])\n".utf8))
        exit(2)
    }
    index += 1
}

guard let rolo = ProcessInfo.processInfo.environment["ROLO_BIN"], !rolo.isEmpty else {
    FileHandle.standardError.write(Data("rolo-bench: set ROLO_BIN to a release rolo (make bench does)\n".utf8))
    exit(2)
}
let seed: UInt64 = 7
try PrivateFiles.makeFolder(directory)

for size in sizes {
    print("== \(size.formatted()) contacts")
    let path = UserPath(rolo: rolo, directory: directory, size: size, seed: seed)
    try path.run()
    try TerminalProbe(rolo: rolo, cachePath: path.cache, directory: directory).run()
    if size <= 100_000 {
        // Sync targets are set at 100k; a provider account of a million is not what rolo's
        // users sync, and the emulator would hold it all in this process's memory.
        print("-- sync over HTTP to emulators on 127.0.0.1:")
        try SyncPath(rolo: rolo, directory: directory, size: size, seed: seed).run()
    }

    if ProcessInfo.processInfo.environment["ROLO_BENCH_NO_PROBE"] != nil { continue }
    print("-- in-process library calls on the same cache (where the time goes; not a user's path):")
    fflush(nil)   // every stream: the probe writes to the same stdout
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    probe.arguments = ["probe", path.cache, String(size)]
    try probe.run()
    probe.waitUntilExit()
    print()
}

/// The read-side measurements, run in a process of their own.
struct Probe {
    let path: String
    let size: Int

    func run() throws {
        // Open: the first open in a new process, then the median of reopening.
        let firstOpenStart = Date()
        var cache = try LocalCache(path: path, catalog: .standard)
        let account = try cache.defaultAccount()
        let scope = AccountScope.account(account.id)
        _ = try cache.contactCount(in: scope)
        _ = try cache.window(in: scope, limit: 50)
        let firstOpen = Date().timeIntervalSince(firstOpenStart) * 1000
        let reopen = try measure(10) {
            cache = try LocalCache(path: path, catalog: .standard)
            _ = try cache.contactCount(in: scope)
            _ = try cache.window(in: scope, limit: 50)
        }
        print(String(format: "open + first 50   %8.2f ms first in a new process, %.2f ms p50 reopening  (target ≤ 50 ms)",
                     firstOpen, reopen.p50))

        // Windows of 50 rows at the start, the middle and the end, in name order.
        let all = try cache.window(in: scope, limit: 1)
        let last = try cache.window(in: scope, from: .last, limit: 1)
        let middleRank = (all.rows[0].cursor.rank + last.rows[0].cursor.rank) / 2
        let middle = ListCursor(contactID: ContactID(0), rank: middleRank, updatedAt: 0)
        for (name, anchor) in [("start", WindowAnchor.first), ("middle", .startingAt(middle)), ("end", .last)] {
            let times = try measure(200) { _ = try cache.window(in: scope, from: anchor, limit: 50) }
            print("window " + name.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: "p50 %6.3f ms  p99 %6.3f ms  (target ≤ 2 ms)", times.p50, times.p99))
        }
        let recent = try measure(100) { _ = try cache.window(in: scope, order: .recentlyChanged, limit: 50) }
        print(String(format: "window recent     p50 %6.3f ms  p99 %6.3f ms", recent.p50, recent.p99))

        // The live filter: a keystroke produces the first 50 matches in name order.
        let letters = "abcdefghijklmnopqrstuvwxyz".map(String.init)
        var random = SplitMix(seed: 99)
        func sample(_ length: Int) -> [String] {
            (0..<40).map { _ in
                let pool = SyntheticContacts.firstNames + SyntheticContacts.lastNames + SyntheticContacts.companies
                let word = TextFolding.fold(pool[Int(random.next() % UInt64(pool.count))]).filter { $0.isLetter }
                return String(word.prefix(length))
            }.filter { !$0.isEmpty }
        }
        let classes: [(String, [String])] = [
            ("1-char prefix", letters),
            ("2-char prefix", sample(2)),
            ("3-char prefix", sample(3)),
            ("field:term", ["city:dal", "city:paris", "email:example", "company:acme", "plan:gold", "name:rob", "tel:555",
                            "country:united", "custom.plan:sil", "email:corp.example"]),
            ("two words", ["rob dal", "al ber", "em ex", "ivan mos", "j gar", "mu zu"]),
        ]
        print("live filter (first 50 matches, in name order):")
        for (name, queries) in classes {
            var samples: [Double] = []
            var countSamples: [Double] = []
            for text in queries {
                let query = ContactQuery(text)
                samples += try measure(15) { _ = try cache.window(in: scope, matching: query, limit: 50) }.samples
                countSamples += try measure(3) { _ = try cache.count(in: scope, matching: query) }.samples
            }
            let window = Stats(samples), count = Stats(countSamples)
            print("  " + name.padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: "p50 %6.3f ms  p99 %6.3f ms  (target p99 ≤ 16 ms)   |  count \"N of M\": p50 %6.1f ms  p99 %6.1f ms",
                           window.p50, window.p99, count.p50, count.p99))
        }
        print("typing a word, one keystroke at a time (median per prefix, ms):")
        for word in ["robert", "example", "dallas", "müller", "plan:gold", "山田"] {
            var steps: [String] = []
            var prefix = ""
            for character in word {
                prefix.append(character)
                let query = ContactQuery(prefix)
                let times = try measure(7) { _ = try cache.window(in: scope, matching: query, limit: 50) }
                steps.append(String(format: "%@ %.2f", prefix as NSString, times.p50))
            }
            print("  " + steps.joined(separator: "  "))
        }
        print(String(format: "peak RSS          %8.1f MiB (this read-side process)", peakResidentMiB()))
    }

    func measure(_ repetitions: Int, _ body: () throws -> Void) throws -> Stats {
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
        }
        return Stats(samples)
    }
}

struct Stats {
    let samples: [Double]
    init(_ samples: [Double]) { self.samples = samples.sorted() }
    var p50: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }
    func percentile(_ fraction: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        return samples[min(samples.count - 1, Int((Double(samples.count - 1) * fraction).rounded()))]
    }
}

/// The high-water mark of resident memory (VmHWM), in MiB.
func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return kilobytes / 1024
    }
    return 0
}
