import RoloSync

/// The services the TUI works through, each behind its protocol so a test can stand a fake in
/// for any one of them.
public struct AppServices: Sendable {
    public let reader: any ContactReading
    public let editor: any ContactEditing
    public let accounts: any AccountDirectory
    public let drafts: any DraftKeeping
    public let files: any ContactExporting
    /// Sync with the providers, and fetching one contact from a provider that cannot list. Nil
    /// when this rolo has no sync at all: the sync keys then say so instead of doing nothing.
    public let sync: (any SyncControlling & ContactFetching)?

    public init(reader: any ContactReading, editor: any ContactEditing, accounts: any AccountDirectory,
                drafts: any DraftKeeping, files: any ContactExporting, sync: (any SyncControlling & ContactFetching)? = nil) {
        self.reader = reader
        self.editor = editor
        self.accounts = accounts
        self.drafts = drafts
        self.files = files
        self.sync = sync
    }

    /// The real services of one cache, with the sync service built from the config (nil:
    /// no sync).
    public init(_ services: RoloServices, sync: SyncService? = nil) {
        self.init(reader: services.reader, editor: services.editor, accounts: services.accounts,
                  drafts: services.drafts, files: services.files, sync: sync)
    }
}
