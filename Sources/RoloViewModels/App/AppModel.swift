import Foundation
import RoloCore
import RoloSync

/// What the TUI was started with.
public struct AppOptions: Sendable {
    /// `--read-only`: browsing only; edit keys say that editing is off.
    public var readOnly: Bool
    /// Why the cache itself cannot be written (another user's file, a read-only folder): the
    /// TUI starts read-only and says so.
    public var readOnlyReason: String?
    /// `--account NAME`: the account to open on (default: all accounts when there are several).
    public var account: String?
    /// The clock, so tests control time.
    public var now: @Sendable () -> Timestamp
    /// How long a status message stays, in milliseconds.
    public var messageLifetime: Int64
    /// Accounts that sync by themselves (from the config), timed by `now`.
    public var autoSync: [AutoSyncSetting]

    public init(readOnly: Bool = false, readOnlyReason: String? = nil, account: String? = nil,
                now: @escaping @Sendable () -> Timestamp = { .now() }, messageLifetime: Int64 = 8000,
                autoSync: [AutoSyncSetting] = []) {
        self.readOnly = readOnly
        self.readOnlyReason = readOnlyReason
        self.account = account
        self.now = now
        self.messageLifetime = messageLifetime
        self.autoSync = autoSync
    }
}

/// What happens to the app: keys, a new terminal size, results of background work, time.
public enum AppEvent: Sendable {
    case key(Key)
    case resize(Size)
    /// A count started by `Effect.count` finished (nil: it was cancelled or failed).
    case counted(generation: Int, matches: Int?)
    /// Where a contact sits in the list (0-based), found in the background; nil if cancelled.
    case located(generation: Int, contact: ContactID, position: Int?)
    /// `$EDITOR` returned for a JSON field (nil text: it could not be run; `message` says why).
    case externalEdit(field: FieldKey, text: String?, message: String?)
    /// How the sync started by `Effect.sync` is getting on.
    case syncProgress(SyncEvent)
    /// The sync ended: a report per account, or why it could not start (another sync holds
    /// the cache).
    case syncFinished(reports: [SyncReport], error: String?)
    /// The fetch started by `Effect.fetch` ended: what it brought, or why it did not.
    case fetched(FetchOutcome?, error: String?)
    /// Time passed (about a second without a key): messages fade, automatic syncs fall due.
    case tick
}

/// Work the app asks the runtime to do outside the model.
public enum Effect: Equatable, Sendable {
    case quit
    /// Count the matches of a filter in the background (it can take tens of milliseconds with a
    /// million contacts); stale counts are cancelled by a newer generation.
    case count(generation: Int, scope: AccountScope, query: ContactQuery)
    /// Find the row number of a contact (after a jump to a contact far from the top, the page
    /// is known but not its place in the list; counting the rows before it takes up to a few
    /// hundred milliseconds with a million contacts).
    case locate(generation: Int, scope: AccountScope, query: ContactQuery?, order: ListOrder, cursor: ListCursor)
    /// Open a JSON field in the user's editor; `error` is why the last attempt did not parse.
    case editExternally(field: FieldKey, text: String, error: String?)
    case suspend
    case redraw
    /// Sync the accounts of a scope in the background; progress and the reports come back as
    /// `AppEvent.syncProgress` and `.syncFinished`.
    case sync(scope: AccountScope)
    /// Bring one contact in from an account whose provider cannot list; `AppEvent.fetched`
    /// comes back.
    case fetch(accountID: Int64, key: ContactLookupKey)
}

/// Which pane has the keyboard.
public enum Focus: Sendable, Hashable { case list, detail, form }

/// The whole TUI as state plus one entry point, `handle(_:)`, after Bubble Tea's one-way
/// loop: an event comes in, the state changes, effects go out, the view draws the state.
/// There is no curses, SQL or HTTP here — contacts come from the services.
public final class AppModel {
    public let services: AppServices
    public let keyMap: KeyMap
    public let options: AppOptions
    public private(set) var layout: ScreenLayout
    public internal(set) var focus: Focus = .list
    public internal(set) var accounts: [Account] = []
    public internal(set) var scope: AccountScope = .all
    public internal(set) var list = ListModel()
    public internal(set) var detail: DetailModel?
    public internal(set) var form: EditForm?
    public internal(set) var overlay: Overlay?
    public internal(set) var commandLine: CommandLineModel?
    public internal(set) var message: StatusMessage?
    /// The outbox or conflicts view, when one is open over the panes.
    public internal(set) var syncView: SyncView?
    /// The sync in progress, what the last runs left, and when accounts sync by themselves.
    public internal(set) var syncActivity = SyncActivity()
    /// Edits waiting in the accounts in view whose provider could not be reached last time.
    public internal(set) var offlineWaiting: Int?
    /// Where the contacts in view stand with their providers (waiting, failed, conflicts).
    public internal(set) var delivery = DeliveryStatus()
    public var pendingEdits: Int { delivery.waiting }
    public var conflicts: Int { delivery.conflicts }
    public var lastSync: Timestamp? { delivery.lastSync }
    /// A fact about the terminal that stays in the title bar (see `keepOnScreen`).
    public private(set) var lastingNote: String?
    /// Where focus returns when the form closes.
    var focusBeforeForm: Focus = .list
    var countGeneration = 0
    var locateGeneration = 0
    /// The row number being counted in the background, and the list it is counted in. One at
    /// a time: scrolling while it runs asks nothing more.
    var locating: (contact: ContactID, scope: AccountScope, filter: String, order: ListOrder)?
    var history: [String] = []
    var drafts: [Draft] = []
    /// The open form's draft could not be written: another rolo held the cache. The clock's
    /// tick writes it (see `saveDraft`).
    var draftAwaitsCache = false

    public var isReadOnly: Bool { options.readOnly || options.readOnlyReason != nil }

    /// The list's reads, for the list model.
    var reader: any ContactReading { services.reader }

    public init(services: AppServices, size: Size, options: AppOptions = AppOptions(), keyMap: KeyMap = .standard) throws {
        self.services = services
        self.keyMap = keyMap
        self.options = options
        self.layout = ScreenLayout(size: size)
        list.pageSize = layout.listRows
        accounts = try services.accounts.accounts()
        if let name = options.account {
            scope = .account(try services.accounts.account(named: name).id)
        } else if accounts.count == 1 {
            scope = .account(accounts[0].id)
        } else {
            let withContacts = try accounts.filter { try services.reader.contactCount(in: .account($0.id)) > 0 }
            scope = withContacts.count == 1 ? .account(withContacts[0].id) : .all
        }
        try list.load(.first, scope: scope, reader: reader)
        var effects: [Effect] = []
        try refreshCounts(&effects)
        try loadDetailIfVisible()
        drafts = try services.drafts.draftsLeftBehind()
        if let reason = options.readOnlyReason {
            // A draft cannot be restored into a cache that cannot be written: it waits.
            show(reason + ": browsing only", .warning)
        } else {
            offerNextDraft()
            offerEditOpenInAnotherRolo()
        }
        if !isReadOnly, let sync = services.sync {
            syncActivity.plan(options.autoSync, accounts: accounts.filter { sync.whyNotSyncable($0) == nil }, now: options.now())
        }
    }

    /// The account in view, or nil for all accounts.
    public var currentAccount: Account? {
        if case .account(let id) = scope { return accounts.first { $0.id == id } }
        return nil
    }

    /// Where keys go now.
    public var context: KeyContext {
        if let overlay { return overlay.context }
        if commandLine != nil { return .commandLine }
        if let syncView { return syncView.context }
        switch focus {
        case .list: return list.isEditingFilter ? .filterInput : .list
        case .detail: return .detail
        case .form: return form?.editor != nil ? .formInput : .form
        }
    }

    /// Rows of the detail pane (or the form) on screen.
    var detailVisibleRows: Int { max(1, layout.detailPane.height - 1) }
    var formVisibleRows: Int { max(1, layout.detailPane.height - 3) }

    // MARK: - Events

    /// Applies an event and returns the work the runtime must do. Never throws: failures
    /// become a message in the status bar, and the state stays consistent.
    @discardableResult
    public func handle(_ event: AppEvent) -> [Effect] {
        var effects: [Effect] = []
        do {
            switch event {
            case .key(let key):
                // A message answers the key before; the next key starts afresh. (Errors do not
                // time out like the others: they stay until you do something.)
                message = nil
                if layout.isTooSmall {
                    handleKeyWhileTooSmall(key, &effects)
                } else {
                    try handleKey(key, &effects)
                    keepCursorsVisible()
                }
            case .resize(let size):
                try resize(to: size)
            case .counted(let generation, let matches):
                if generation == countGeneration, let matches {
                    list.matches = matches
                    if list.reachedEnd, list.topIndex == nil { list.topIndex = max(0, matches - list.rows.count) }
                }
            case .located(let generation, let contact, let position):
                guard generation == locateGeneration, let asked = locating else { break }
                locating = nil
                // Still the same list, and the contact still on the page: its place tells the
                // page's. Otherwise the next call of locateIfUnknown asks again.
                if list.topIndex == nil, let position, asked.scope == scope, asked.filter == list.filter.text,
                   asked.order == list.order, let offset = list.rows.firstIndex(where: { $0.id == contact }) {
                    list.topIndex = max(0, position - offset)
                }
            case .externalEdit(let field, let text, let problem):
                try finishExternalEdit(field: field, text: text, problem: problem, &effects)
            case .syncProgress(let event):
                try syncProgressed(event, &effects)
            case .syncFinished(let reports, let error):
                try syncFinished(reports: reports, error: error, &effects)
            case .fetched(let outcome, let error):
                try fetchFinished(outcome, error: error, &effects)
            case .tick:
                try checkFormIsHeld()
                if draftAwaitsCache { form == nil ? (draftAwaitsCache = false) : try saveDraft(retrying: true) }
                // Another rolo's save, `rolo set`, an import or a sync: counts, rows and the
                // detail on show are read again (the selection stays on its contact).
                if try services.reader.changedElsewhere() { try reloadAfterChange(select: list.selected?.id, &effects) }
                if let shown = message, options.now().millisecondsSinceEpoch - shown.shownAt.millisecondsSinceEpoch > options.messageLifetime,
                   shown.tone != .error {
                    message = nil
                }
            }
            // Whatever moved the selection while the detail was off screen (a terminal too
            // small to draw it, the list alone on a narrow one), the detail on show is the
            // highlighted contact.
            try loadDetailIfVisible()
        } catch let lost as DraftNotHeld {
            formWasLost(lost)
        } catch {
            show(error)
        }
        // Leaving with a form open and nothing changed in it: nothing to offer back later.
        if effects.contains(.quit), let form, !form.isDirty, let draft = form.draft { try? services.drafts.releaseDraft(draft) }
        locateIfUnknown(&effects)
        if !effects.contains(.quit) { syncIfDue(&effects) }
        return effects
    }

    /// Asks for the page's place in the list when it is not known, so the status bar can say
    /// which row is selected.
    func locateIfUnknown(_ effects: inout [Effect]) {
        guard list.topIndex == nil, let first = list.rows.first, locating == nil else { return }
        // At the end of a filtered list the match count, already under way, gives the place.
        if list.reachedEnd, list.matches == nil { return }
        locating = (first.id, scope, list.filter.text, list.order)
        locateGeneration += 1
        effects.append(.locate(generation: locateGeneration, scope: scope, query: list.query, order: list.order, cursor: first.cursor))
    }

    /// While the terminal is too small, nothing is on show but the notice: a key must not act
    /// on a screen nobody sees (a `y` answered a hidden "Delete?"). `q` and Ctrl-C leave, as the
    /// notice says, from any pane — an unsaved form stays a draft, offered back next time;
    /// Ctrl-L redraws and Ctrl-Z suspends. Every other key waits for a larger window.
    func handleKeyWhileTooSmall(_ key: Key, _ effects: inout [Effect]) {
        if key == .character("q") || key == .control("c") {
            effects.append(.quit)
        } else if let command = keyMap.command(for: key, in: context), command == .redraw || command == .suspend {
            effects.append(command == .redraw ? .redraw : .suspend)
        }
    }

    func handleKey(_ key: Key, _ effects: inout [Effect]) throws {
        let context = self.context
        let command = keyMap.command(for: key, in: context)
        switch context {
        case .filterInput:
            if let command { return try perform(command, in: context, key: key, &effects) }
            if list.filter.handle(key) { try filterChanged(&effects) }
        case .commandLine:
            if let command { return try perform(command, in: context, key: key, &effects) }
            if commandLine!.editor.handle(key) { commandLine!.completions = [] }
        case .formInput:
            if let command { return try perform(command, in: context, key: key, &effects) }
            if form!.editor!.handle(key) { try formEditorChanged() }
        case .prompt:
            if let command { return try perform(command, in: context, key: key, &effects) }
            if case .addField(var prompt) = overlay, prompt.key.handle(key) {
                prompt.error = nil
                overlay = .addField(prompt)
            }
        case .fetchInput:
            if let command { return try perform(command, in: context, key: key, &effects) }
            if case .fetch(var prompt) = overlay, prompt.text.handle(key) {
                prompt.error = nil
                overlay = .fetch(prompt)
            }
        case .dialog:
            if case .dialog(let dialog) = overlay, case .character(let character) = key,
               let choice = dialog.choices.first(where: { $0.key == character || String($0.key) == character.lowercased() }) {
                overlay = nil
                return try run(choice.action, &effects)
            }
            if let command { try perform(command, in: context, key: key, &effects) }
        case .help:
            if let command, [.moveDown, .moveUp, .pageDown, .pageUp, .moveFirst, .moveLast, .quit].contains(command) {
                return try perform(command, in: context, key: key, &effects)
            }
            overlay = nil
        default:
            if let command { try perform(command, in: context, key: key, &effects) }
        }
    }

    /// Shows a message from outside the model (the terminal's startup warning).
    public func notify(_ text: String, tone: StatusMessage.Tone = .info) {
        show(text, tone)
    }

    /// Keeps a short note in the title bar for the whole session, where messages would pass:
    /// a locale that is not UTF-8 matters for as long as rolo runs.
    public func keepOnScreen(_ note: String) {
        lastingNote = note
    }

    // MARK: - Shared steps

    func show(_ text: String, _ tone: StatusMessage.Tone = .info) {
        message = StatusMessage(text: text, tone: tone, shownAt: options.now())
    }

    func show(_ error: Error) {
        show(AppModel.describe(error), .error)
    }

    /// An error as one line for the status bar.
    public static func describe(_ error: Error) -> String {
        if let error = error as? RoloError {
            return error.description.replacingOccurrences(of: "\n", with: "; ")
        }
        return String(describing: error).replacingOccurrences(of: "\n", with: "; ")
    }

    /// Counts for the status bar; a filtered count runs in the background.
    func refreshCounts(_ effects: inout [Effect]) throws {
        delivery = try services.accounts.deliveryStatus(in: scope)
        offlineWaiting = try waitingWhileOffline()
        list.total = delivery.contacts
        recountMatches(&effects)
    }

    /// Starts counting the filter's matches in the background (the list shows "counting…"
    /// until the count arrives); without a filter every contact matches.
    func recountMatches(_ effects: inout [Effect]) {
        countGeneration += 1
        if let query = list.query {
            list.matches = nil
            effects.append(.count(generation: countGeneration, scope: scope, query: query))
        } else {
            list.matches = list.total
        }
    }

    /// Loads the detail of the selected contact when the detail pane is on screen.
    func loadDetailIfVisible() throws {
        guard !layout.isTooSmall, layout.isSideBySide || focus == .detail else { return }
        try loadDetail()
    }

    func loadDetail() throws {
        guard let selected = list.selected else {
            detail = nil
            return
        }
        if detail?.contact.id == selected.id { return }
        let shown = try services.reader.detail(selected.id)
        detail = DetailModel(detail: shown, width: layout.detailPane.width, pending: try changesWaiting(for: shown))
    }

    /// After anything changed contacts: the page, the selection, the detail and the counts.
    func reloadAfterChange(select id: ContactID? = nil, _ effects: inout [Effect]) throws {
        try refreshCounts(&effects)
        if let id, let summary = try summary(of: id) {
            if list.rows.contains(where: { $0.id == id }) {
                try list.refresh(scope: scope, reader: reader)
                if let index = list.rows.firstIndex(where: { $0.id == id }) { list.selection = index }
            } else {
                try list.loadAround(summary.cursor, scope: scope, reader: reader)
            }
        } else {
            try list.refresh(scope: scope, reader: reader)
        }
        detail = nil
        try loadDetailIfVisible()
    }

    /// The list row of a contact in the current scope and filter, if it is in them.
    func summary(of id: ContactID) throws -> ContactSummary? {
        try services.reader.summary(of: id, in: scope, matching: list.query, order: list.order)
    }

    /// Scrolls every line being typed in so its cursor stays on screen.
    func keepCursorsVisible() {
        let footerWidth = max(1, layout.footer.width - 2)
        list.filter.scrollToCursor(width: footerWidth)
        commandLine?.editor.scrollToCursor(width: footerWidth)
        if form?.editor != nil { form!.editor!.scrollToCursor(width: FormGeometry.valueWidth(paneWidth: layout.detailPane.width, longestLabel: form!.longestLabel)) }
        if case .addField(var prompt) = overlay {
            prompt.key.scrollToCursor(width: AddFieldGeometry.keyWidth(mainWidth: layout.main.width))
            overlay = .addField(prompt)
        }
        if case .fetch(var prompt) = overlay {
            prompt.text.scrollToCursor(width: AddFieldGeometry.keyWidth(mainWidth: layout.main.width))
            overlay = .fetch(prompt)
        }
    }

    func resize(to size: Size) throws {
        layout = ScreenLayout(size: size)
        guard !layout.isTooSmall else { return }
        try list.resize(pageSize: layout.listRows, scope: scope, reader: reader)
        detail?.layOut(width: layout.detailPane.width)
        // A taller pane shows more rows: scrolled to the end before, it fills up again instead
        // of leaving the last few rows above a blank half.
        detail?.scroll(by: 0, visibleRows: detailVisibleRows)
        if let focus = form?.focus { form!.move(to: focus, visibleRows: formVisibleRows) }
        keepSyncViewSelectionVisible()
    }
}
