import RoloCore
import RoloSync

/// One row of the detail pane.
public enum DetailRow: Hashable, Sendable {
    case heading(String)
    /// A label and one line of its value; `continued` rows carry the rest of a long value.
    case field(label: String, value: String, tone: Tone, continued: Bool)
    case blank

    public enum Tone: Hashable, Sendable { case normal, muted, warning, error, success }
}

/// The detail pane: every field of one contact, laid out for the pane's width, and a scroll
/// position. Values longer than the pane wrap onto more rows; nothing is cut off.
public struct DetailModel: Sendable {
    public let detail: ContactDetail
    /// What the contact's outbox entry will send, field by field (empty when nothing waits).
    public let pending: [FieldDelta]
    public internal(set) var rows: [DetailRow] = []
    public internal(set) var scroll = 0
    public internal(set) var labelWidth = 16

    init(detail: ContactDetail, width: Int, pending: [FieldDelta] = []) {
        self.detail = detail
        self.pending = pending
        layOut(width: width)
    }

    public var contact: Contact { detail.contact }

    /// Rebuilds the rows for a pane `width` cells wide.
    ///
    /// The label column has a usual width, so values line up from one contact to the next; it
    /// grows for longer labels up to a third of the pane, and a label longer still wraps like a
    /// value, so a custom field's name and type are never cut off.
    mutating func layOut(width: Int) {
        let entries = DetailModel.entries(of: detail, pending: pending)
        let longest = entries.compactMap { entry -> Int? in
            if case .field(let label, _, _) = entry { return TerminalText.width(label) }
            return nil
        }.max() ?? 0
        let usual = min(18, max(10, width / 4))
        labelWidth = max(usual, min(longest, min(28, width / 3)))
        let valueWidth = max(8, width - labelWidth - 3)
        var rows: [DetailRow] = []
        for entry in entries {
            switch entry {
            case .heading(let title): rows.append(.heading(title))
            case .blank: rows.append(.blank)
            case .field(let label, let value, let tone):
                let labels = DetailModel.wrap(label, width: labelWidth)
                let values = DetailModel.wrap(value, width: valueWidth)
                for index in 0..<max(labels.count, values.count) {
                    rows.append(.field(label: index < labels.count ? labels[index] : "",
                                       value: index < values.count ? values[index] : "", tone: tone, continued: index > 0))
                }
            }
        }
        self.rows = rows
        scroll = min(scroll, max(0, rows.count - 1))
    }

    /// What the pane shows before it is laid out: headings, blank lines and labelled values.
    private enum Entry {
        case heading(String)
        case blank
        case field(String, String, DetailRow.Tone)
    }

    private static func entries(of detail: ContactDetail, pending: [FieldDelta]) -> [Entry] {
        var entries: [Entry] = []
        func add(_ label: String, _ value: String, tone: DetailRow.Tone = .normal) {
            entries.append(.field(label, value, tone))
        }
        let contact = detail.contact
        let account = detail.account
        entries.append(.heading(contact.displayName))
        add("Account", "\(account.name) (\(account.profile.displayName))", tone: .muted)
        add("Id", contact.id.map(\.shortID) ?? "—", tone: .muted)

        let identity: [StandardField] = [.salutation, .firstName, .lastName, .fullName, .jobTitle, .company]
        let reach: [StandardField] = [.email, .phone, .mobilePhone, .website]
        let place: [StandardField] = [.addressLine1, .addressLine2, .city, .region, .postcode, .country, .timezone, .language]
        let consent: [StandardField] = [.status, .emailOptOut, .smsOptOut, .phoneOptOut]
        for (title, fields) in [("Person", identity), ("Contact", reach), ("Address", place), ("Status and consent", consent), ("Notes", [StandardField.notes])] {
            let present = fields.filter { contact[$0] != nil }
            let others = fields == reach ? furtherValueEntries(of: contact, hasProvider: account.profile.capabilities.hasRemote) : []
            guard !present.isEmpty || !others.isEmpty else { continue }
            entries.append(.blank)
            entries.append(.heading(title))
            for field in present {
                let value = contact[field]!
                let shown = field.kind == .flag ? (value == "true" ? "yes" : "no") : value
                let stored = account.rules.storedFields.contains(field)
                add(field.label, shown + (stored ? "" : "  (kept in rolo only)"))
                // Further emails after the email, further phones after the phones.
                if let listed = OtherValueKind.listed(after: field, shown: present) {
                    for (label, value, kind) in others where kind == listed { add(label, value) }
                }
            }
            // Further values whose standard fields are empty (an edit cleared them).
            for (label, value, kind) in others where !kind.standardFields.contains(where: present.contains) { add(label, value) }
        }
        let definitions = Dictionary(detail.definitions.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let customKeys = detail.definitions.map(\.key).filter { contact.custom[$0] != nil }
            + contact.custom.keys.filter { definitions[$0] == nil }.sorted()
        if !customKeys.isEmpty {
            entries.append(.blank)
            entries.append(.heading("Custom fields"))
            for key in customKeys {
                let value = contact.custom[key]!
                let label = definitions[key]?.label ?? key
                let options = definitions[key]?.options ?? []
                let text: String
                switch value {
                case .json(let document): text = document.prettyText
                // Options by the labels people chose them by, as in the form's picker.
                case .select(let chosen): text = options.label(of: chosen)
                case .multiselect(let chosen): text = chosen.map(options.label(of:)).joined(separator: ", ")
                default: text = value.displayText
                }
                add("\(label) · \(value.type.rawValue)", text)
            }
        }
        entries.append(.blank)
        entries.append(.heading("Sync"))
        syncEntries(of: detail, pending: pending, add: add)
        if let link = detail.remoteLink {
            add("Remote id", link.remoteID, tone: .muted)
            if let synced = link.syncedAt { add("Last synced", synced.display, tone: .muted) }
        }
        add("Changed", contact.updatedAt.display, tone: .muted)
        add("Created", contact.createdAt.display, tone: .muted)
        if !contact.extensions.isEmpty {
            entries.append(.blank)
            entries.append(.heading("Provider data"))
            // A photo kept from a vCard is named and sized, not a screenful of base64.
            let shown = detail.shownExtensions
            for key in shown.keys.sorted() {
                add(key, shown[key]!.prettyText, tone: .muted)
            }
        }
        return entries
    }

    /// Rows for the further emails and phones: `Email (home)`, `Phone (fax)`, … With a provider
    /// they say that they stay in rolo (no provider holds more than its own fields).
    private static func furtherValueEntries(of contact: Contact, hasProvider: Bool)
        -> [(label: String, value: String, kind: OtherValueKind)] {
        OtherValueKind.allCases.flatMap { kind in
            contact[others: kind].map { other in
                return (kind.screenLabel(of: other), other.value + (hasProvider ? "  (kept in rolo only)" : ""), kind)
            }
        }
    }

    /// The contact's way to its provider, with its marker (the list's symbol): what waits and
    /// what it will send, a failure with the provider's own words (shown safely, like every
    /// value from a provider) and the key that retries it, the fields in conflict.
    private static func syncEntries(of detail: ContactDetail, pending: [FieldDelta],
                                    add: (String, String, DetailRow.Tone) -> Void) {
        let provider = detail.account.profile.displayName
        switch detail.syncState {
        case .localOnly:
            add("State", detail.syncState.summary, .muted)
        case .synced:
            add("State", detail.syncState.summary, .muted)
        case .pending(let kind, let attempts, let error):
            add("State", "\(SyncMarker.pending.symbol) \(kind.waitingPhrase) waiting for the next sync", .warning)
            if attempts > 0 {
                add("Tried", "\(attempts) time\(attempts == 1 ? "" : "s")" + (error.map { ": \($0)" } ?? ""), .warning)
            }
        case .sending(let kind):
            add("State", "\(SyncMarker.sending.symbol) \(kind.waitingPhrase) being sent now", .warning)
        case .failed(let kind, let message):
            add("State", "\(SyncMarker.failed.symbol) sending the \(kind.rawValue) failed; R sends it again", .error)
            add("\(provider) said", message, .error)
        case .conflict(let fields):
            let which = fields.isEmpty ? "" : " in " + fields.joined(separator: ", ")
            add("State", "\(SyncMarker.conflict.symbol) conflict\(which) with \(provider); C settles it", .error)
        }
        switch detail.syncState {
        case .pending(.delete, _, _), .sending(.delete), .failed(.delete, _):
            add("Will send", "the delete", .warning)
        case .pending, .sending, .failed:
            guard !pending.isEmpty else { break }
            let shown = pending.prefix(maxChangesShown)
            for (index, delta) in shown.enumerated() {
                let value = delta.after.map { $0.displayText.isEmpty ? "(empty)" : $0.displayText } ?? "(cleared)"
                add(index == 0 ? "Will send" : "", "\(delta.key.screenLabel): \(value)", .warning)
            }
            if pending.count > shown.count { add("", "… and \(pending.count - shown.count) more", .warning) }
        default:
            break
        }
    }

    /// Fields of a waiting change listed in the detail (a new contact sends all of them).
    static let maxChangesShown = 12

    mutating func scroll(by delta: Int, visibleRows: Int) {
        scroll = max(0, min(scroll + delta, max(0, rows.count - visibleRows)))
    }

    mutating func scroll(to position: Int, visibleRows: Int) {
        scroll = max(0, min(position, max(0, rows.count - visibleRows)))
    }

    /// Splits text into lines of at most `width` cells: at line breaks, then at spaces where
    /// possible, else between graphemes (never inside one).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in TerminalText.sanitizeKeepingLayout(text).split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            var lastSpace: String.Index?
            for character in paragraph.replacingOccurrences(of: "\t", with: " ") {
                let cell = TerminalText.cell(for: character)
                if lineWidth + cell.width > width, !line.isEmpty {
                    if let space = lastSpace, space > line.startIndex {
                        let head = String(line[..<space])
                        let tail = String(line[line.index(after: space)...])
                        lines.append(head)
                        line = tail
                        lineWidth = TerminalText.width(tail)
                    } else {
                        lines.append(line)
                        line = ""
                        lineWidth = 0
                    }
                    lastSpace = nil
                }
                if character == " " { lastSpace = line.endIndex }
                line += cell.text
                lineWidth += cell.width
            }
            lines.append(line)
        }
        return lines.isEmpty ? [""] : lines
    }
}
