import RoloCore
import RoloStore

/// Unfinished edit forms, saved as they are typed so a hang-up loses nothing.
public final class DraftService: DraftKeeping {
    let cache: LocalCache

    public init(cache: LocalCache) { self.cache = cache }

    public func saveDraft(_ payload: String, for slot: DraftSlot) throws { try cache.saveDraft(payload, for: slot) }
    public func draft(for slot: DraftSlot) throws -> Draft? { try cache.draft(for: slot) }
    public func drafts() throws -> [Draft] { try cache.drafts() }
    public func discardDraft(_ slot: DraftSlot) throws { try cache.discardDraft(slot) }
}
