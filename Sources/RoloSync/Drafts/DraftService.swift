import Logging
import RoloCore
import RoloStore

/// Unfinished edit forms, saved as they are typed so a hang-up loses nothing — and held by the
/// rolo typing them. Opening a contact another running rolo is editing gives `.held`, and
/// nothing of the other's text; a form whose rolo ended is picked up by the next one. Every
/// write names the draft and this rolo, so a rolo that lost its form can neither write into nor
/// discard the form another holds now.
public final class DraftService: DraftKeeping {
    let cache: LocalCache
    /// This rolo, as the holder of the edit forms it opens.
    public let session: EditorSession
    /// Whether the rolo holding a form still runs; the process table unless a test says.
    let running: @Sendable (EditorSession) -> Bool
    let logger: Logger

    public init(cache: LocalCache, session: EditorSession, isRunning: (@Sendable (EditorSession) -> Bool)? = nil,
                logger: Logger = Logger(label: "rolo.drafts")) {
        self.cache = cache
        self.session = session
        self.running = isRunning ?? { ProcessTable.isRunning($0, seenFrom: session) }
        self.logger = logger
    }

    /// Asks for the form of `slot` (opening a contact with `e`, a new contact with `n`).
    public func claimDraft(_ slot: DraftSlot, takingOver: Bool = false) throws -> DraftClaim {
        let claim = try cache.claimDraft(slot, for: session, takingOver: takingOver, isRunning: running)
        if case .claimed(_, _, let from?) = claim {
            logger.info("edit form taken over", metadata: ["from": "\(from.session.user) pid \(from.session.pid)",
                                                          "running": "\(running(from.session))"])
        }
        return claim
    }

    /// Takes a draft a rolo left behind (the start-up offer); nil when it is gone, `.held`
    /// when a running rolo took it meanwhile.
    public func adoptDraft(_ draft: Draft) throws -> DraftClaim? {
        try cache.adoptDraft(draft.id, for: session, isRunning: running)
    }

    /// Writes the open form's text (nil: nothing changed). False when this rolo no longer
    /// holds the form; nothing was written then.
    public func saveDraft(_ payload: String?, in draft: DraftID) throws -> Bool {
        try cache.saveDraft(payload, in: draft, by: session)
    }

    /// Closes this rolo's form and throws its draft away; another rolo's is left alone.
    public func releaseDraft(_ draft: DraftID) throws { try cache.releaseDraft(draft, by: session) }

    /// Throws away a draft a rolo left behind; false when a rolo took it meanwhile.
    public func discardDraft(_ draft: Draft) throws -> Bool { try cache.discardDraft(draft) }

    /// Who holds a draft now; nil when nobody does (it was saved or thrown away, or its contact deleted).
    public func draftHolder(_ draft: DraftID) throws -> DraftHolder? { try cache.draftHolder(draft) }

    /// Every draft with text, newest first, whoever holds it.
    public func drafts() throws -> [Draft] { try cache.drafts() }

    /// Drafts whose rolo ended without saving them: what a starting rolo offers back.
    public func draftsLeftBehind() throws -> [Draft] { try cache.draftsLeftBehind(isRunning: running) }

    /// Whether a draft's holder still runs (for the words of a question).
    public func holderIsRunning(_ holder: DraftHolder) -> Bool { running(holder.session) }
}
