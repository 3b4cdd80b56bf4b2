import RoloCore
import RoloSync

/// The views of what sync left to settle, shown in place of the panes: the outbox and the
/// conflicts. They sit over the list, which stays as it was; Esc goes back to it.
public enum SyncView: Sendable {
    case outbox(OutboxView)
    case conflicts(ConflictsView)

    var context: KeyContext {
        switch self {
        case .outbox: .outbox
        case .conflicts: .conflicts
        }
    }
}

/// The outbox: one line per contact waiting to reach its provider, with its state, attempts,
/// next try and the provider's last error; the selected one's error in full below, and what
/// it will send.
public struct OutboxView: Sendable {
    public struct Line: Sendable, Hashable {
        public let entry: OutboxEntry
        public let account: String
        public let provider: String
    }

    public let scope: AccountScope
    public internal(set) var lines: [Line] = []
    public internal(set) var cursor = 0
    public internal(set) var scroll = 0
    /// What the selected contact would send, field by field.
    public internal(set) var changes: [FieldDelta] = []

    init(scope: AccountScope) { self.scope = scope }

    public var selected: Line? { lines.indices.contains(cursor) ? lines[cursor] : nil }

    /// Reads the outbox again, keeping the selection on the same contact where it still waits.
    mutating func load(from sync: any SyncControlling, accounts: [Account]) throws {
        let keep = selected?.entry.contactID
        let names = Dictionary(accounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        lines = try sync.outbox(in: scope).map { entry in
            Line(entry: entry, account: names[entry.accountID]?.name ?? "", provider: names[entry.accountID]?.profile.displayName ?? "")
        }
        if let keep, let index = lines.firstIndex(where: { $0.entry.contactID == keep }) { cursor = index }
        cursor = max(0, min(cursor, lines.count - 1))
        try loadChanges(from: sync)
    }

    mutating func loadChanges(from sync: any SyncControlling) throws {
        guard let selected, selected.entry.kind != .delete else {
            changes = []
            return
        }
        changes = try sync.pendingChanges(for: selected.entry.contactID)
    }

    mutating func move(to index: Int, visibleRows: Int) {
        cursor = max(0, min(index, lines.count - 1))
        if cursor < scroll { scroll = cursor }
        if cursor >= scroll + visibleRows { scroll = cursor - visibleRows + 1 }
        scroll = max(0, min(scroll, max(0, lines.count - visibleRows)))
    }
}

/// The outbox view's rows, shared by the pane that draws it and the model that scrolls it: a
/// title, a column header, the lines, and below them the selected line's error and changes.
public enum OutboxGeometry {
    /// Rows of the details under the lines (error and what will be sent).
    public static func detailRows(mainHeight: Int) -> Int { mainHeight >= 16 ? 5 : 2 }

    /// Lines of the outbox on screen at once.
    public static func visibleRows(mainHeight: Int) -> Int { max(1, mainHeight - 3 - detailRows(mainHeight: mainHeight)) }
}

extension FieldKey {
    /// How a field is named on screen: the standard field's label, or the custom key.
    public var screenLabel: String {
        switch self {
        case .standard(let field): field.label
        case .others(let kind): kind == .email ? "Further emails" : "Further phones"
        case .custom(let key): key
        }
    }
}
