import RoloSync

/// The services the TUI works through, each behind its protocol so a test can stand a fake in
/// for any one of them.
public struct AppServices: Sendable {
    public let reader: any ContactReading
    public let editor: any ContactEditing
    public let accounts: any AccountDirectory
    public let drafts: any DraftKeeping
    public let files: any ContactExporting

    public init(reader: any ContactReading, editor: any ContactEditing, accounts: any AccountDirectory,
                drafts: any DraftKeeping, files: any ContactExporting) {
        self.reader = reader
        self.editor = editor
        self.accounts = accounts
        self.drafts = drafts
        self.files = files
    }

    /// The real services of one cache.
    public init(_ services: RoloServices) {
        self.init(reader: services.reader, editor: services.editor, accounts: services.accounts,
                  drafts: services.drafts, files: services.files)
    }
}
