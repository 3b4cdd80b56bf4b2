import Foundation
import RoloCore

/// The next page of a cursor listing, asked for as soon as the page before names its cursor:
/// the request travels, and the provider makes the page, while the page before is decoded and
/// applied — not after. A listing read a page at a time waited for both, one after the other,
/// a thousand times over for 100k contacts.
///
/// Only the page the listing asks for next is ever used: a page asked for ahead under another
/// cursor (the listing started again, or a retry of the page before) is dropped, and a page
/// that failed ahead fails where the listing asks for it, so retries work as for any request.
final class PageAhead: @unchecked Sendable {
    // @unchecked: `pending` is only read and written under `lock`.
    private let lock = NSLock()
    private var pending: (cursor: String, request: Task<Result<HTTPResponse, ProviderError>, Never>)?

    /// Starts asking for the page at `cursor`; one asked for before and not taken is dropped.
    func start(_ cursor: String, _ fetch: @escaping @Sendable () async throws(ProviderError) -> HTTPResponse) {
        let request = Task { () -> Result<HTTPResponse, ProviderError> in
            do throws(ProviderError) { return .success(try await fetch()) } catch { return .failure(error) }
        }
        lock.withLock {
            pending?.request.cancel()
            pending = (cursor, request)
        }
    }

    /// The page at `cursor` when it was asked for ahead (waited for if still on its way), nil
    /// when it was not; anything else asked for ahead is dropped.
    func take(_ cursor: String?) async throws(ProviderError) -> HTTPResponse? {
        let request = lock.withLock { () -> Task<Result<HTTPResponse, ProviderError>, Never>? in
            defer { pending = nil }
            guard let pending, pending.cursor == cursor else {
                pending?.request.cancel()
                return nil
            }
            return pending.request
        }
        guard let request else { return nil }
        let result = await withTaskCancellationHandler { await request.value } onCancel: { request.cancel() }
        return try result.get()
    }

    /// Drops the page asked for ahead, if any.
    func drop() {
        lock.withLock {
            pending?.request.cancel()
            pending = nil
        }
    }

    deinit {
        pending?.request.cancel()
    }
}
