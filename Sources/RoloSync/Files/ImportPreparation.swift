import Foundation
import RoloCore
import RoloInterchange
import RoloStore

/// The part of storing a record that needs nothing of the cache, done on the reader's thread
/// while the import's thread writes the records before: the record checked against its
/// account (`ImportReview`) and the row values of the contact that check gives. They were a
/// seventh of an import's own thread, which is the one that bounds it.
///
/// The reader knows an account only once the import has published it (the first records of
/// each account, a few dozen read ahead before that, are checked on the import's thread as
/// before), and the import uses what was prepared only for the account it was prepared for.
final class ImportPreparation: @unchecked Sendable {
    // @unchecked: `targets` is only read and written under `lock`; the rest is immutable.
    private let lock = NSLock()
    private var targets: [String: Target] = [:]
    private let options: ImportOptions
    /// Every record goes to one account (`--account`).
    private let oneAccount: Bool

    init(options: ImportOptions, oneAccount: Bool) {
        self.options = options
        self.oneAccount = oneAccount
    }

    /// What a record is checked against: its account's id, rules and field definitions.
    struct Target: Sendable {
        let accountID: Int64
        let rules: ProviderRules
        let definitions: [FieldDefinition]
    }

    /// A record as prepared: its check's outcome (or the problem it found), for `accountID`,
    /// and the row values of the checked contact.
    struct Prepared: Sendable {
        let accountID: Int64
        let review: Result<ImportReview.Outcome, ImportProblem>
        let row: PreparedRow?
    }

    /// The key a record's account is known by: the same for every record when one account
    /// takes them all, else the name it gives (empty for the default account).
    private func key(for name: String?) -> String {
        oneAccount ? "" : (name ?? "").lowercased()
    }

    /// Tells the reader the account records naming `name` go to (the import's thread).
    func publish(_ target: Target, forName name: String?) {
        let key = key(for: name)
        lock.withLock { if targets[key] == nil { targets[key] = target } }
    }

    /// Prepares a contact record whose account is known (the reader's thread).
    func prepare(_ item: ImportItem) -> Prepared? {
        guard case .contact(let incoming, _) = item else { return nil }
        let key = key(for: incoming.accountName)
        guard let target = lock.withLock({ targets[key] }) else { return nil }
        var contact = incoming.contact
        contact.id = nil
        contact.accountID = target.accountID
        let review = Result { () throws(ImportProblem) -> ImportReview.Outcome in
            try ImportReview.check(incoming, as: contact, rules: target.rules, definitions: target.definitions, options: options)
        }
        return Prepared(accountID: target.accountID, review: review, row: (try? review.get()).map { PreparedRow($0.contact) })
    }
}
