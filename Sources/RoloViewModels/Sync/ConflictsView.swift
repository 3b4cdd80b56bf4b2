import RoloCore
import RoloSync

/// The conflicts: per contact, each field changed here and at the provider to different
/// values, with what it was (base), mine and theirs side by side. `m`/`t` settle the selected
/// field, `M`/`T` the whole contact; a contact deleted on one side while changed on the other
/// offers keeping it or letting it go, in words.
public struct ConflictsView: Sendable {
    public struct Item: Sendable, Hashable {
        public let contact: ConflictedContact
        public let account: String
        public let provider: String
    }

    /// One conflict the cursor can rest on.
    public struct Position: Sendable, Hashable {
        public let item: Int
        public let conflict: Int
    }

    public let scope: AccountScope
    public internal(set) var items: [Item] = []
    public internal(set) var positions: [Position] = []
    public internal(set) var cursor = 0
    /// The first screen line shown.
    public internal(set) var scroll = 0

    init(scope: AccountScope) { self.scope = scope }

    public var selected: Position? { positions.indices.contains(cursor) ? positions[cursor] : nil }
    public var selectedItem: Item? { selected.map { items[$0.item] } }
    public var selectedConflict: FieldConflict? { selected.map { items[$0.item].contact.conflicts[$0.conflict] } }

    /// Reads the conflicts again; the cursor stays on the same contact and field where they
    /// are still in conflict, else on what took their place.
    mutating func load(from sync: any SyncControlling, accounts: [Account]) throws {
        let keep = selected.map { (items[$0.item].contact.contactID, items[$0.item].contact.conflicts[$0.conflict].key) }
        let byID = Dictionary(accounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        items = try sync.conflicts(in: scope).map { contact in
            Item(contact: contact, account: byID[contact.accountID]?.name ?? "", provider: byID[contact.accountID]?.profile.displayName ?? "")
        }
        positions = items.enumerated().flatMap { index, item in
            item.contact.conflicts.indices.map { Position(item: index, conflict: $0) }
        }
        if let keep {
            if let same = positions.firstIndex(where: { items[$0.item].contact.contactID == keep.0 && items[$0.item].contact.conflicts[$0.conflict].key == keep.1 }) {
                cursor = same
            } else if let sameContact = positions.firstIndex(where: { items[$0.item].contact.contactID == keep.0 }) {
                cursor = sameContact
            }
        }
        cursor = max(0, min(cursor, positions.count - 1))
    }

    mutating func move(to index: Int, width: Int, mainHeight: Int) {
        cursor = max(0, min(index, positions.count - 1))
        keepSelectionVisible(width: width, mainHeight: mainHeight)
    }

    /// Scrolls so the selected conflict, with its full values, is on screen, and the name of
    /// its contact too when there is room.
    mutating func keepSelectionVisible(width: Int, mainHeight: Int) {
        let rows = ConflictsGeometry.bodyRows(mainHeight: mainHeight)
        let lines = ConflictsGeometry.lines(of: self, width: width, bodyRows: rows)
        guard let first = lines.firstIndex(where: \.isSelected) else {
            scroll = 0
            return
        }
        let last = lines.lastIndex(where: \.isSelected) ?? first
        // The contact's name line, when the selection is its first conflict.
        let top = first > 0 && lines[first - 1].isContactTitle ? first - 1 : first
        if top < scroll { scroll = top }
        // Its end in view, but never at the cost of its first line.
        if last >= scroll + rows { scroll = min(first, last - rows + 1) }
        scroll = max(0, min(scroll, max(0, lines.count - rows)))
    }

    /// What `m` and `t` do to the selected conflict, in words.
    public var choices: (mine: String, theirs: String)? {
        guard let item = selectedItem, let conflict = selectedConflict else { return nil }
        switch conflict.kind {
        case .field:
            let field = conflict.key?.screenLabel ?? "the field"
            return ("keep mine for \(field)", "take \(item.provider)'s")
        case .remoteDeleted:
            return ("keep \(item.contact.displayName): create it at \(item.provider) again",
                    "let it go: delete it here too")
        case .localDeleted:
            return ("delete it at \(item.provider) too", "bring it back as \(item.provider) has it")
        }
    }
}

/// The conflicts view's lines and columns, shared by the pane that draws them and the model
/// that scrolls them. At 80 columns: field, mine, theirs, each cut with an ellipsis, and the
/// selected conflict's values in full over as many lines as they need; from 120 columns the
/// value before both changes (base) too.
public enum ConflictsGeometry {
    public struct Columns: Sendable, Hashable {
        public let field: Int
        /// 0 when the base is not shown.
        public let base: Int
        public let mine: Int
        public let theirs: Int

        public var fieldX: Int { 2 }
        public var baseX: Int { fieldX + field + 2 }
        public var mineX: Int { base > 0 ? baseX + base + 2 : baseX }
        public var theirsX: Int { mineX + mine + 2 }
    }

    public static func columns(width: Int) -> Columns {
        let field = min(20, max(10, width / 5))
        let showsBase = width >= 120
        let gaps = showsBase ? 3 : 2
        let values = max(3, width - 2 - field - gaps * 2)
        let each = values / (showsBase ? 3 : 2)
        return Columns(field: field, base: showsBase ? each : 0, mine: each, theirs: values - each * (showsBase ? 2 : 1))
    }

    /// Rows for the conflicts (the view's title, column header and two lines of choices take
    /// the rest).
    public static func bodyRows(mainHeight: Int) -> Int { max(1, mainHeight - 4) }

    /// The most lines one selected conflict takes to show its values in full (fewer when the
    /// view has fewer rows: its name line and one more stay in sight).
    static func longestExpansion(bodyRows: Int) -> Int { max(1, min(8, bodyRows - 1)) }

    public struct Line: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// A contact's name, account and since when.
            case contact(String)
            /// One line of a conflict; `continued` lines carry the rest of the selected one's values.
            case conflict(label: String, base: String, mine: String, theirs: String, continued: Bool, wholeContact: Bool)
        }

        public let kind: Kind
        public let isSelected: Bool

        var isContactTitle: Bool {
            if case .contact = kind { return true }
            return false
        }
    }

    public static func lines(of view: ConflictsView, width: Int, bodyRows: Int) -> [Line] {
        let columns = columns(width: width)
        let longest = longestExpansion(bodyRows: bodyRows)
        var lines: [Line] = []
        for (itemIndex, item) in view.items.enumerated() {
            let contact = item.contact
            lines.append(Line(kind: .contact("\(contact.displayName) · \(item.account) · since \(contact.detectedAt.display)"),
                              isSelected: false))
            for (index, conflict) in contact.conflicts.enumerated() {
                let selected = view.selected == ConflictsView.Position(item: itemIndex, conflict: index)
                let texts = cells(of: conflict, provider: item.provider)
                guard selected else {
                    lines.append(Line(kind: .conflict(label: texts.label, base: texts.base, mine: texts.mine, theirs: texts.theirs,
                                                      continued: false, wholeContact: conflict.kind != .field), isSelected: false))
                    continue
                }
                // The selected conflict: every value in full, wrapped in its column.
                let label = DetailModel.wrap(texts.label, width: columns.field)
                let base = columns.base > 0 ? DetailModel.wrap(texts.base, width: columns.base) : []
                let mine = DetailModel.wrap(texts.mine, width: columns.mine)
                let theirs = DetailModel.wrap(texts.theirs, width: columns.theirs)
                let count = min(longest, max(label.count, base.count, mine.count, theirs.count))
                func part(_ wrapped: [String], _ row: Int) -> String {
                    guard row < wrapped.count else { return "" }
                    // Past the last line shown: say there is more.
                    return row == count - 1 && wrapped.count > count ? wrapped[row] + "…" : wrapped[row]
                }
                for row in 0..<count {
                    lines.append(Line(kind: .conflict(label: part(label, row), base: part(base, row), mine: part(mine, row),
                                                      theirs: part(theirs, row), continued: row > 0, wholeContact: conflict.kind != .field),
                                      isSelected: true))
                }
            }
        }
        return lines
    }

    /// The words of one conflict's columns.
    static func cells(of conflict: FieldConflict, provider: String) -> (label: String, base: String, mine: String, theirs: String) {
        func shown(_ value: FieldValue?) -> String {
            guard let value else { return "(empty)" }
            let text = value.displayText
            return text.isEmpty ? "(empty)" : text
        }
        switch conflict.kind {
        case .field:
            return (conflict.key?.screenLabel ?? "?", shown(conflict.base), shown(conflict.local), shown(conflict.remote))
        case .remoteDeleted:
            return ("(the contact)", "", "edited here", "deleted at \(provider)")
        case .localDeleted:
            return ("(the contact)", "", "deleted here", "changed at \(provider)")
        }
    }
}
