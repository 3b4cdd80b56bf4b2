import RoloCore
import RoloSync

/// The contact list: the page of rows on screen, the selection, the filter and the counts.
///
/// Only the visible page is ever held. Every move reads a new page from a keyset cursor
/// (the row it starts after or before), which costs the same at row 10 and row 900,000.
public struct ListModel: Sendable {
    public internal(set) var rows: [ContactSummary] = []
    /// Index of the selected row in `rows`.
    public internal(set) var selection = 0
    /// Where `rows[0]` is in the whole list, when known (for "row 1,234 of 1,000,000").
    public internal(set) var topIndex: Int? = 0
    public internal(set) var reachedStart = true
    public internal(set) var reachedEnd = true
    /// Contacts in the account (or all accounts).
    public internal(set) var total = 0
    /// Contacts that match the filter; nil while they are being counted.
    public internal(set) var matches: Int? = 0
    public internal(set) var order: ListOrder = .name
    /// The filter as typed.
    public internal(set) var filter = LineEditor()
    /// True while the filter line has the keyboard.
    public internal(set) var isEditingFilter = false
    /// A `field:` of the filter that is no field of these contacts (`citty:dallas`), when the
    /// filter matches nothing: said, so that a slip does not read as "no such contacts".
    public internal(set) var unknownFilterField: String?
    /// Rows per page, from the layout.
    public internal(set) var pageSize = 20

    /// The filter in force (nil when the filter text has no words).
    public var query: ContactQuery? {
        let parsed = ContactQuery(filter.text)
        return parsed.isEmpty ? nil : parsed
    }

    public var selected: ContactSummary? { rows.indices.contains(selection) ? rows[selection] : nil }

    /// The selected row's place in the whole list (0-based), when known.
    public var selectedIndex: Int? { topIndex.map { $0 + selection } }

    // MARK: - Reading pages

    /// Reads the page at `anchor` and puts the selection on `select` (or keeps its offset).
    mutating func load(_ anchor: WindowAnchor, scope: AccountScope, reader: any ContactReading,
                       select: ContactID? = nil, selectionOffset: Int? = nil) throws {
        let window = try reader.window(in: scope, matching: query, order: order, from: anchor, limit: pageSize)
        apply(window, select: select, selectionOffset: selectionOffset)
    }

    mutating func apply(_ window: ContactWindow, select: ContactID? = nil, selectionOffset: Int? = nil) {
        rows = window.rows
        reachedStart = window.reachedStart
        reachedEnd = window.reachedEnd
        if let select, let index = rows.firstIndex(where: { $0.id == select }) {
            selection = index
        } else {
            selection = min(max(0, selectionOffset ?? selection), max(0, rows.count - 1))
        }
        if window.reachedStart { topIndex = 0 }
    }

    /// A page with `cursor`'s contact in the middle (a contact far from the current page).
    mutating func loadAround(_ cursor: ListCursor, scope: AccountScope, reader: any ContactReading) throws {
        let above = try reader.window(in: scope, matching: query, order: order, from: .before(cursor), limit: pageSize / 2)
        let rest = try reader.window(in: scope, matching: query, order: order, from: .startingAt(cursor),
                                      limit: pageSize - above.rows.count)
        var rows = above.rows + rest.rows
        var reachedStart = above.reachedStart || above.rows.isEmpty
        if rows.count < pageSize, !reachedStart {
            // Near the end: fill the page from above.
            let fuller = try reader.window(in: scope, matching: query, order: order, from: .last, limit: pageSize)
            rows = fuller.rows
            reachedStart = fuller.reachedStart
        }
        apply(ContactWindow(rows: rows, reachedStart: reachedStart, reachedEnd: rest.reachedEnd), select: cursor.contactID)
        topIndex = reachedStart ? 0 : nil
    }

    // MARK: - Moving

    mutating func moveDown(scope: AccountScope, reader: any ContactReading) throws {
        if selection + 1 < rows.count {
            selection += 1
        } else if !reachedEnd, let first = rows.first {
            // Scroll by one row: the page after the current first row.
            try load(.after(first.cursor), scope: scope, reader: reader, selectionOffset: rows.count - 1)
            topIndex = topIndex.map { $0 + 1 }
        }
    }

    mutating func moveUp(scope: AccountScope, reader: any ContactReading) throws {
        if selection > 0 {
            selection -= 1
        } else if !reachedStart, let last = rows.last {
            try load(.before(last.cursor), scope: scope, reader: reader, selectionOffset: 0)
            topIndex = topIndex.map { max(0, $0 - 1) }
        }
    }

    mutating func pageDown(scope: AccountScope, reader: any ContactReading) throws {
        guard let last = rows.last else { return }
        if reachedEnd {
            selection = rows.count - 1
            return
        }
        let offset = selection
        let next = try reader.window(in: scope, matching: query, order: order, from: .after(last.cursor), limit: pageSize)
        if next.rows.count < pageSize {
            try moveLast(scope: scope, reader: reader)
            selection = max(0, rows.count - 1)
            return
        }
        apply(next, selectionOffset: offset)
        topIndex = topIndex.map { $0 + pageSize }
    }

    mutating func pageUp(scope: AccountScope, reader: any ContactReading) throws {
        guard let first = rows.first else { return }
        if reachedStart {
            selection = 0
            return
        }
        let offset = selection
        let previous = try reader.window(in: scope, matching: query, order: order, from: .before(first.cursor), limit: pageSize)
        if previous.rows.count < pageSize || previous.reachedStart {
            try load(.first, scope: scope, reader: reader, selectionOffset: previous.reachedStart && previous.rows.count == pageSize ? offset : 0)
            return
        }
        apply(previous, selectionOffset: offset)
        topIndex = topIndex.map { max(0, $0 - pageSize) }
    }

    mutating func moveFirst(scope: AccountScope, reader: any ContactReading) throws {
        try load(.first, scope: scope, reader: reader, selectionOffset: 0)
        topIndex = 0
    }

    mutating func moveLast(scope: AccountScope, reader: any ContactReading) throws {
        try load(.last, scope: scope, reader: reader, selectionOffset: pageSize)
        selection = max(0, rows.count - 1)
        topIndex = matches.map { max(0, $0 - rows.count) }
    }

    /// Reads the current page again after data changed, keeping the selected contact if it is
    /// still there, else the same row position.
    mutating func refresh(scope: AccountScope, reader: any ContactReading) throws {
        let keep = selected?.id
        if let first = rows.first, !reachedStart {
            try load(.startingAt(first.cursor), scope: scope, reader: reader, select: keep)
            if rows.count < pageSize, !reachedStart {
                try load(.last, scope: scope, reader: reader, select: keep)
                topIndex = matches.map { max(0, $0 - rows.count) }
            }
        } else {
            try load(.first, scope: scope, reader: reader, select: keep)
        }
    }

    /// A new page size (the terminal was resized): the selected contact stays visible.
    mutating func resize(pageSize newSize: Int, scope: AccountScope, reader: any ContactReading) throws {
        guard newSize != pageSize else { return }
        pageSize = max(1, newSize)
        let keep = selected
        if let keep, selection >= pageSize {
            // The selection would fall off the bottom: start the page so it is the last row.
            let shift = selection - pageSize + 1
            try load(.startingAt(rows[shift].cursor), scope: scope, reader: reader, select: keep.id)
            topIndex = topIndex.map { $0 + shift }
        } else if let first = rows.first {
            try load(.startingAt(first.cursor), scope: scope, reader: reader, select: keep?.id)
        } else {
            try load(.first, scope: scope, reader: reader)
        }
    }
}
