import Foundation
import Logging
import RoloCore
import RoloStore

/// The services of one cache, built together: what the commands and the TUI are given.
/// Each is narrow — reading, editing, accounts and fields, drafts, files — and all share the
/// one `LocalCache`.
public struct RoloServices: Sendable {
    public let cache: LocalCache
    public let reader: ContactReader
    public let editor: ContactEditor
    public let accounts: AccountService
    public let drafts: DraftService
    public let files: FileTransfer
    public let author: Author

    /// `session`: this rolo as the holder of edit forms (a test passes its own, with
    /// `isRunning` saying which holders still run).
    public init(cache: LocalCache, author: Author, logger: Logger = Logger(label: "rolo"), session: EditorSession? = nil,
                isRunning: (@Sendable (EditorSession) -> Bool)? = nil) {
        self.cache = cache
        self.author = author
        let session = session ?? .current(author: author)
        reader = ContactReader(cache: cache)
        accounts = AccountService(cache: cache, logger: logger)
        editor = ContactEditor(cache: cache, accounts: accounts, author: author, session: session, logger: logger)
        drafts = DraftService(cache: cache, session: session, isRunning: isRunning, logger: logger)
        files = FileTransfer(cache: cache, accounts: accounts, author: author, logger: logger)
    }

    /// Opens (creating if needed) the cache at `path`.
    public static func open(path: String, catalog: ProviderCatalog, author: Author,
                            logger: Logger = Logger(label: "rolo")) throws -> RoloServices {
        RoloServices(cache: try LocalCache(path: path, catalog: catalog), author: author, logger: logger)
    }

    /// Where the cache lives, for messages.
    public var cachePath: String? { cache.path }
}

extension Author {
    /// The person at the keyboard: the login name and, over SSH, the client's address.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Author {
        let user = environment["USER"] ?? environment["LOGNAME"]
            ?? getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "unknown"
        let ssh = environment["SSH_CLIENT"] ?? environment["SSH_CONNECTION"]
        let address = ssh?.split(separator: " ").first.map(String.init)
        return Author(user: user, clientAddress: address)
    }
}

/// How fields are named in messages: `city`, `custom.plan`.
enum DeltaNames {
    static func name(of key: FieldKey) -> String {
        switch key {
        case .standard(let field): field.key
        case .others(let kind): kind.listName
        case .custom(let name): "custom.\(name)"
        }
    }
}
