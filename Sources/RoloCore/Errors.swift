/// The failures every layer reports, so that commands can turn them into exit codes and the
/// TUI into messages. Messages never contain secrets.
public enum RoloError: Error, Sendable, CustomStringConvertible {
    /// Input that is not acceptable; nothing was written. Exit code 2.
    case invalid([ValidationIssue])
    /// No such contact, account or file. Exit code 3.
    case notFound(String)
    /// The cache file cannot be used. Exit code 1.
    case cache(String)
    /// Another rolo held the cache for writing (an import, a sync) longer than this write
    /// could wait; nothing was written, and trying again later works. Exit code 1.
    case busy(String)
    /// Anything else that failed. Exit code 1.
    case failed(String)

    public var description: String {
        switch self {
        case .invalid(let issues): issues.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
        case .notFound(let what): what
        case .cache(let message): message
        case .busy(let message): message
        case .failed(let message): message
        }
    }

    public static func invalid(field: String, _ message: String) -> RoloError {
        .invalid([ValidationIssue(field: field, message: message)])
    }
}
