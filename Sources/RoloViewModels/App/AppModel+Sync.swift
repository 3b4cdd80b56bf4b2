import RoloCore
import RoloSync

/// Sync from the TUI: `s` (and the accounts that sync by themselves) run in the background and
/// report progress into the loop; the outbox and conflicts views; `R` retries a failed
/// delivery; `F` brings one contact in from a provider that cannot list.
extension AppModel {
    // MARK: - Whether sync can work here

    /// Why sync cannot change anything in this rolo (read-only, or no sync at all), or nil.
    func syncRefusal() -> String? {
        if isReadOnly { return "rolo was started with --read-only: sync is off (it writes to the cache)" }
        if services.sync == nil { return "This rolo has no sync service: open it with a config (--config) to sync" }
        return nil
    }

    /// The accounts a scope covers.
    func accounts(in scope: AccountScope) -> [Account] {
        accounts.filter { account in
            if case .account(let id) = scope { return account.id == id }
            return true
        }
    }

    // MARK: - s

    func startSync(_ effects: inout [Effect]) throws {
        if let why = syncRefusal() { return show(why, .warning) }
        let sync = services.sync!
        if let running = syncActivity.running {
            return show("A sync is already running — " + running.progress, .warning)
        }
        let covered = accounts(in: scope)
        guard covered.contains(where: { sync.whyNotSyncable($0) == nil }) else {
            let reasons = covered.filter { !$0.isLocal }.compactMap { sync.whyNotSyncable($0) }
            if let account = currentAccount, let why = sync.whyNotSyncable(account) {
                show("Cannot sync: " + why, .warning)
            } else if let first = reasons.first {
                show("Nothing can sync: " + first + (reasons.count > 1 ? " (and \(reasons.count - 1) more like it)" : ""), .warning)
            } else {
                show("Nothing to sync: only local accounts here (a provider account in the config syncs; rolo sandbox tries one)", .warning)
            }
            return
        }
        begin(scope, automatic: false, &effects)
    }

    private func begin(_ scope: AccountScope, automatic: Bool, _ effects: inout [Effect]) {
        let name: String
        if case .account(let id) = scope { name = accounts.first { $0.id == id }?.name ?? "the account" } else { name = "every account" }
        syncActivity.running = SyncActivity.Run(scope: scope, automatic: automatic, progress: "Syncing \(name)…")
        effects.append(.sync(scope: scope))
    }

    /// Starts the automatic sync that is due, if one is and nothing else syncs or fetches.
    func syncIfDue(_ effects: inout [Effect]) {
        guard syncActivity.running == nil, syncActivity.fetching == nil, syncRefusal() == nil,
              let id = syncActivity.dueAccount(at: options.now()) else { return }
        begin(.account(id), automatic: true, &effects)
    }

    func syncProgressed(_ event: SyncEvent, _ effects: inout [Effect]) throws {
        guard var run = syncActivity.running else { return }
        if let text = SyncWords.progress(event) {
            run.progress = text
            syncActivity.running = run
        }
        switch event {
        case .sending:
            // Markers change as contacts go out: the page on screen shows them.
            try reloadAfterSync(&effects)
        case .finished(let report):
            if let account = accounts.first(where: { $0.name == report.account }) {
                syncActivity.finished(account: account.id, reachedProvider: report.stopped == nil, offline: report.offline,
                                      now: options.now())
            }
            try reloadAfterSync(&effects)
        default:
            break
        }
    }

    func syncFinished(reports: [SyncReport], error: String?, _ effects: inout [Effect]) throws {
        let run = syncActivity.running
        syncActivity.running = nil
        let now = options.now()
        let automatic = run?.automatic ?? false
        if let error {
            // It could not start (another rolo is syncing this cache): each account it was for
            // tries again later, backing off.
            for account in accounts(in: run?.scope ?? .all) {
                syncActivity.finished(account: account.id, reachedProvider: false, offline: syncActivity.offline.contains(account.id),
                                      now: now)
            }
            if !automatic || message == nil { show("Sync did not run: " + error, automatic ? .warning : .error) }
            return
        }
        for report in reports {
            guard let account = accounts.first(where: { $0.name == report.account }) else { continue }
            syncActivity.finished(account: account.id, reachedProvider: report.stopped == nil, offline: report.offline, now: now)
        }
        accounts = try services.accounts.accounts()
        try reloadAfterSync(&effects)
        let (text, tone) = describe(reports, automatic: automatic)
        // An automatic run does not push a message of the user's own off the screen.
        if !automatic || message == nil || message?.tone == .info || tone == .error { show(text, tone) }
    }

    /// The message after a sync: each account's summary line, then what to do about what it
    /// left (conflicts, failures), and for a provider that cannot list, how to bring in the
    /// contacts a sync never discovers.
    func describe(_ reports: [SyncReport], automatic: Bool) -> (String, StatusMessage.Tone) {
        guard !reports.isEmpty else { return ("Nothing to sync", .info) }
        var text = reports.map(\.summary).joined(separator: " · ")
        // Several accounts whose lines would not fit on the two lines a message has: the sum
        // of what they did, and in full only those that stopped.
        if reports.count > 1, TerminalText.width(text) > 2 * (layout.size.width - 2) - 40 {
            text = SyncWords.combined(reports)
        }
        var hints: [String] = []
        if reports.contains(where: { !$0.conflicts.isEmpty || !$0.conflictsEarlier.isEmpty }) { hints.append("C shows the conflicts") }
        if reports.contains(where: { !$0.failures.isEmpty || !$0.failedEarlier.isEmpty }) { hints.append("O shows what failed") }
        if !automatic {
            for report in reports where report.stopped == nil {
                guard let account = accounts.first(where: { $0.name == report.account }),
                      account.profile.capabilities.listing == .none else { continue }
                let provider = account.profile.displayName
                hints.append("contacts made in \(provider) are not discovered: F fetches one by email or mobile")
            }
        }
        if !hints.isEmpty { text += " — " + hints.joined(separator: "; ") }
        let tone: StatusMessage.Tone
        if reports.contains(where: { $0.stopped != nil && !$0.offline }) || reports.contains(where: { !$0.failures.isEmpty }) {
            tone = .error
        } else if reports.contains(where: { !$0.isClean }) {
            tone = .warning
        } else {
            tone = .success
        }
        return (text, tone)
    }

    /// After sync changed contacts: the page (the selection stays on the same contact), the
    /// counts, the detail (at the same scroll) and an open outbox or conflicts view.
    func reloadAfterSync(_ effects: inout [Effect]) throws {
        let scroll = detail?.scroll
        let shown = detail?.contact.id
        try reloadAfterChange(select: list.selected?.id, &effects)
        if let scroll, detail?.contact.id == shown { detail?.scroll(to: scroll, visibleRows: detailVisibleRows) }
        try reloadSyncView()
    }

    /// Edits waiting in the accounts in view whose provider could not be reached (nil: none
    /// is offline).
    func waitingWhileOffline() throws -> Int? {
        let offline = accounts(in: scope).filter { syncActivity.offline.contains($0.id) }
        guard !offline.isEmpty else { return nil }
        return try offline.reduce(0) { $0 + (try services.accounts.deliveryStatus(in: .account($1.id)).waiting) }
    }

    /// What a contact's outbox entry will send, for the detail.
    func changesWaiting(for shown: ContactDetail) throws -> [FieldDelta] {
        guard let sync = services.sync, let id = shown.contact.id else { return [] }
        switch shown.syncState {
        case .pending, .sending, .failed: return try sync.pendingChanges(for: id)
        default: return []
        }
    }

    // MARK: - R

    /// The contact the keys act on: the detail's when it has the focus, else the list's.
    var contactInFocus: (id: ContactID, name: String)? {
        if focus == .detail, let detail, let id = detail.contact.id { return (id, detail.contact.displayName) }
        return list.selected.map { ($0.id, $0.displayName) }
    }

    func retry(_ id: ContactID, name: String, _ effects: inout [Effect]) throws {
        if let why = syncRefusal() { return show(why, .warning) }
        if try services.sync!.retry(id) {
            show("\(name) goes out again with the next sync (s sends it now)", .success)
            try reloadAfterSync(&effects)
            return
        }
        let why: String = switch try services.reader.detail(id).syncState {
        case .pending: "its change waits for the next sync already"
        case .sending: "it is being sent now"
        case .conflict: "it is in conflict, not failed: C settles it"
        case .synced: "nothing of it waits to be sent"
        case .localOnly: "it is in a local account, which sends nothing anywhere"
        case .failed: "it could not be put back in line"
        }
        show("Nothing to retry for \(name): \(why)", .warning)
    }

    // MARK: - The outbox and conflicts views

    func openOutbox() throws {
        guard let sync = services.sync else { return show(syncRefusal() ?? "", .warning) }
        var view = OutboxView(scope: scope)
        try view.load(from: sync, accounts: accounts)
        syncView = .outbox(view)
    }

    func openConflicts() throws {
        guard let sync = services.sync else { return show(syncRefusal() ?? "", .warning) }
        var view = ConflictsView(scope: scope)
        try view.load(from: sync, accounts: accounts)
        view.keepSelectionVisible(width: layout.main.width, mainHeight: layout.main.height)
        syncView = .conflicts(view)
    }

    func reloadSyncView() throws {
        guard let sync = services.sync else { return }
        switch syncView {
        case .outbox(var view):
            try view.load(from: sync, accounts: accounts)
            syncView = .outbox(view)
        case .conflicts(var view):
            try view.load(from: sync, accounts: accounts)
            syncView = .conflicts(view)
        case nil:
            break
        }
        keepSyncViewSelectionVisible()
    }

    func keepSyncViewSelectionVisible() {
        switch syncView {
        case .outbox(var view):
            view.move(to: view.cursor, visibleRows: OutboxGeometry.visibleRows(mainHeight: layout.main.height))
            syncView = .outbox(view)
        case .conflicts(var view):
            view.keepSelectionVisible(width: layout.main.width, mainHeight: layout.main.height)
            syncView = .conflicts(view)
        case nil:
            break
        }
    }

    func moveInSyncView(_ command: Command) throws {
        switch syncView {
        case .outbox(var view):
            let page = OutboxGeometry.visibleRows(mainHeight: layout.main.height)
            view.move(to: target(of: command, from: view.cursor, page: page), visibleRows: page)
            if let sync = services.sync { try view.loadChanges(from: sync) }
            syncView = .outbox(view)
        case .conflicts(var view):
            let page = ConflictsGeometry.bodyRows(mainHeight: layout.main.height)
            view.move(to: target(of: command, from: view.cursor, page: page), width: layout.main.width, mainHeight: layout.main.height)
            syncView = .conflicts(view)
        case nil:
            break
        }
    }

    private func target(of command: Command, from cursor: Int, page: Int) -> Int {
        switch command {
        case .moveDown: cursor + 1
        case .moveUp: cursor - 1
        case .pageDown: cursor + page
        case .pageUp: cursor - page
        case .moveFirst: 0
        default: Int.max / 2
        }
    }

    /// Enter in a view: closes it and shows the contact, in the list and its detail.
    func goToSelectedInSyncView(_ effects: inout [Effect]) throws {
        let id: ContactID?
        switch syncView {
        case .outbox(let view): id = view.selected?.entry.contactID
        case .conflicts(let view): id = view.selectedItem?.contact.contactID
        case nil: id = nil
        }
        guard let id else { return }
        syncView = nil
        try goTo(id, &effects)
    }

    /// Selects a contact in the list and opens its detail: the filter is cleared, or the
    /// account switched, when it is not in view.
    func goTo(_ id: ContactID, _ effects: inout [Effect]) throws {
        var found = try summary(of: id)
        if found == nil, !list.filter.text.isEmpty {
            list.filter = LineEditor()
            list.isEditingFilter = false
            found = try summary(of: id)
        }
        if found == nil {
            let contact = try services.reader.contact(id)
            try switchScope(to: .account(contact.accountID), &effects)
            found = try summary(of: id)
        }
        try refreshCounts(&effects)
        if let found { try list.loadAround(found.cursor, scope: scope, reader: reader) }
        focus = .detail
        detail = nil
        try loadDetail()
    }

    func closeSyncView() {
        syncView = nil
    }

    func retrySelectedInOutbox(_ effects: inout [Effect]) throws {
        guard case .outbox(let view) = syncView, let line = view.selected else { return }
        try retry(line.entry.contactID, name: line.entry.displayName, &effects)
    }

    /// `m`, `t`, `M`, `T`: settles the selected conflict (or the whole contact) for one side.
    func resolveSelected(_ side: ConflictSide, wholeContact: Bool, _ effects: inout [Effect]) throws {
        if let why = syncRefusal() { return show(why, .warning) }
        guard case .conflicts(let view) = syncView, let item = view.selectedItem, let conflict = view.selectedConflict else { return }
        let whole = wholeContact || conflict.key == nil
        let name = item.contact.displayName
        let remaining = try services.sync!.resolve(item.contact.contactID, fields: whole ? [:] : [conflict.key!: side],
                                                   all: whole ? side : nil)
        let text: String
        switch (conflict.kind, side) {
        case (.remoteDeleted, .mine): text = "\(name) is kept: the next sync creates it at \(item.provider) again"
        case (.remoteDeleted, .theirs): text = "\(name) is let go: deleted here too"
        case (.localDeleted, .mine): text = "\(name) stays deleted: the next sync deletes it at \(item.provider) too"
        case (.localDeleted, .theirs): text = "\(name) is back as \(item.provider) has it"
        case (.field, _) where whole:
            text = side == .mine ? "\(name): every value typed here is kept; the next sync sends them"
                : "\(name): every value is now \(item.provider)'s"
        case (.field, .mine):
            text = "\(name): kept mine for \(conflict.key?.screenLabel ?? "the field")"
                + (remaining.isEmpty ? "; the next sync sends it" : "; \(remaining.count) more to settle")
        case (.field, .theirs):
            text = "\(name): took \(item.provider)'s \(conflict.key?.screenLabel ?? "value")"
                + (remaining.isEmpty ? "" : "; \(remaining.count) more to settle")
        }
        show(text, .success)
        try reloadAfterSync(&effects)
    }

    // MARK: - F and :fetch

    /// Starts fetching a contact: into the account in view, or the one account that can take
    /// one, or the account the user picks; with `text` it asks the provider at once, else it
    /// asks for the email or mobile number first.
    func startFetch(text: String?, _ effects: inout [Effect]) throws {
        if let why = syncRefusal() { return show(why, .warning) }
        let sync = services.sync!
        if let fetching = syncActivity.fetching { return show("Already fetching \(fetching)…", .warning) }
        if let account = currentAccount {
            if let why = sync.whyNotFetchable(account) { return show("Cannot fetch: " + why, .warning) }
            return try fetch(into: account, text: text, &effects)
        }
        let candidates = accounts.filter { sync.whyNotFetchable($0) == nil }
        switch candidates.count {
        case 0:
            let reasons = accounts.filter { !$0.isLocal && $0.profile.capabilities.listing == .none }.compactMap { sync.whyNotFetchable($0) }
            show(reasons.first.map { "Cannot fetch: " + $0 }
                 ?? "No account here needs a fetch: their providers list their contacts, so s brings every one", .warning)
        case 1:
            try fetch(into: candidates[0], text: text, &effects)
        default:
            let options = candidates.map { SelectOption(value: String($0.id), label: "\($0.name) (\($0.profile.displayName))") }
            overlay = .picker(Picker(title: "Fetch into which account?", options: options, chosen: [], cursor: 0, allowsMany: false,
                                     purpose: .fetchAccount(text: text ?? "")))
        }
    }

    func fetch(into account: Account, text: String?, _ effects: inout [Effect]) throws {
        guard let text, !text.trimmed.isEmpty else {
            let provider = account.profile.displayName
            overlay = .fetch(FetchPrompt(accountID: account.id, title: "Fetch a contact from \(provider) (\(account.name))",
                                         hint: "\(provider) cannot list its contacts, so a sync never discovers one created there. "
                                             + "Type its email address or mobile number (+15557140059). Many at once: "
                                             + "rolo import a CSV export from \(provider)."))
            return
        }
        let key = try ContactLookupKey(parsing: text)
        requestFetch(key, into: account, &effects)
    }

    func requestFetch(_ key: ContactLookupKey, into account: Account, _ effects: inout [Effect]) {
        syncActivity.fetching = "\(key) from \(account.name)"
        show("Fetching \(key) from \(account.profile.displayName) (\(account.name))…")
        effects.append(.fetch(accountID: account.id, key: key))
    }

    /// Enter in the fetch prompt.
    func acceptFetchPrompt(_ effects: inout [Effect]) throws {
        guard case .fetch(var prompt) = overlay else { return }
        let key: ContactLookupKey
        do {
            key = try ContactLookupKey(parsing: prompt.text.text)
        } catch {
            prompt.error = error.description
            overlay = .fetch(prompt)
            return
        }
        overlay = nil
        let account = try services.accounts.account(id: prompt.accountID)
        requestFetch(key, into: account, &effects)
    }

    func fetchFinished(_ outcome: FetchOutcome?, error: String?, _ effects: inout [Effect]) throws {
        syncActivity.fetching = nil
        guard let outcome else { return show(error ?? "The fetch did not finish", .error) }
        accounts = try services.accounts.accounts()
        // Show it, unless the user has moved on to a form, a question or a view meanwhile.
        if (focus == .list || focus == .detail) && overlay == nil && syncView == nil && commandLine == nil && !list.isEditingFilter {
            try goTo(outcome.contactID, &effects)
        } else {
            try reloadAfterChange(select: list.selected?.id, &effects)
        }
        show(outcome.summary, outcome.change == .conflict ? .warning : .success)
    }
}
