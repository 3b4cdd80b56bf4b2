import Foundation

/// A failure an emulator can be told to produce, so that clients can be tested against the
/// network and servers they will really meet.
public enum EmulatorFault: Sendable, Equatable {
    /// Answer with this HTTP status instead of serving the request (which is **not**
    /// applied). `retryAfter` adds a `Retry-After` header in seconds; `body` replaces the
    /// provider's usual error body for that status.
    case status(Int, retryAfter: Int? = nil, body: String? = nil)
    /// Wait this long before serving the request normally.
    case latency(milliseconds: Int)
    /// Close the connection without a reply; the request is **not** applied.
    case dropConnection
    /// Apply the request, then close the connection without a reply: the client cannot
    /// know its write landed. This is how a retried create is tested for duplicates.
    case dropAfterApplying
    /// Apply the request, then answer 200 with the reply's body cut in half, so it is not
    /// valid JSON.
    case malformedBody
}

/// Faults waiting for the next matching requests, in the order they were injected.
final class FaultSchedule: Sendable {
    private struct Rule {
        var fault: EmulatorFault
        var remaining: Int
        var path: String?
    }

    private let rules = Locked<[Rule]>([])

    func inject(_ fault: EmulatorFault, count: Int, path: String?) {
        guard count > 0 else { return }
        rules.withLock { $0.append(Rule(fault: fault, remaining: count, path: path)) }
    }

    func clear() { rules.withLock { $0.removeAll() } }

    /// Takes one use of the first rule that matches this request. A rule's `path` matches
    /// the request path alone, or the path with its `action` query (`/api/1.0/contact?action=getContact`)
    /// for iVvy, whose endpoints differ only by action. A trailing `/` is not a difference
    /// (DailyStory's create is documented both with and without one).
    func take(path: String, action: String?) -> EmulatorFault? {
        func trimmed(_ text: String) -> Substring {
            var text = Substring(text)
            while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
            return text
        }
        let path = String(trimmed(path))
        return rules.withLock { rules in
            guard let index = rules.firstIndex(where: { rule in
                guard let rulePath = rule.path else { return true }
                let parts = rulePath.split(separator: "?", maxSplits: 1)
                let wanted = trimmed(String(parts[0])) + (parts.count > 1 ? "?" + parts[1] : "")
                return wanted == path || (action.map { wanted == "\(path)?action=\($0)" } ?? false)
            }) else { return nil }
            let fault = rules[index].fault
            rules[index].remaining -= 1
            if rules[index].remaining == 0 { rules.remove(at: index) }
            return fault
        }
    }
}
