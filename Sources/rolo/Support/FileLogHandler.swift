import Foundation
import Logging
import RoloCore
import RoloStore

/// A swift-log handler that appends to rolo's log file — never to the terminal, where it
/// would tear through the TUI. Messages carry ids and field names, not field values or secrets.
struct FileLogHandler: LogHandler {
    private let sink: LogSink
    private let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, sink: LogSink, level: Logger.Level) {
        self.label = label
        self.sink = sink
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let details = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let line = "\(Timestamp.now().rfc3339) \(event.level) \(label): \(event.message)" + (details.isEmpty ? "" : " " + details)
        // One line per event: a newline in a message must not forge another entry.
        sink.write(TerminalText.sanitize(line) + "\n")
    }

    /// Sends every logger to the file at `path`; if it cannot be opened, logging is off rather
    /// than written anywhere the user would see it.
    static func bootstrap(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["ROLO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        guard let sink = LogSink(path: path) else {
            LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
            return
        }
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink, level: level) }
    }
}

/// The open log file, shared by every logger; writes are serialised.
final class LogSink: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    /// Opens (creating 0600, in folders created 0700) the log at `path` for appending.
    init?(path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        guard (try? PrivateFiles.makeFolder(directory.isEmpty ? "." : directory)) != nil,
              let descriptor = try? PrivateFiles.openForWriting(path, truncate: false, append: true) else { return nil }
        self.handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        try? handle.write(contentsOf: Data(text.utf8))
    }
}
