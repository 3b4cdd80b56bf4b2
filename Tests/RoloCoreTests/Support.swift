import Testing
@testable import RoloCore

/// The message of the `ValueError` or `JSONParseError` that `body` throws; nil when it returns.
/// Any other error comes back described, so a test comparing messages fails and shows it.
func refusal<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as ValueError {
        return error.message
    } catch let error as JSONParseError {
        return error.message
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

/// A contact with fixed bookkeeping, so that only what a test sets differs between two of them.
func makeContact(_ fields: [StandardField: String] = [:], custom: [String: CustomValue] = [:],
                 extensions: [String: JSONValue] = [:], uid: String = "uid-1", accountID: Int64 = 1) -> Contact {
    Contact(uid: uid, accountID: accountID, fields: fields, custom: custom, extensions: extensions,
            createdAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
}
