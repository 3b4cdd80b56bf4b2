import ArgumentParser
import Foundation
import RoloCore
import RoloInterchange
import RoloSync

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a contact.",
        discussion: """
            An email or a mobile phone is required; the account's provider may require more \
            (Notifuse and iVvy need an email, iVvy also a first and last name). \
            Prints the new contact's id on stdout.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Email address.") var email: String?
    @Option(name: .customLong("mobile-phone"), help: "Mobile phone in E.164 (+15557140059).") var mobilePhone: String?
    @Option(name: .customLong("first-name"), help: "First name.") var firstName: String?
    @Option(name: .customLong("last-name"), help: "Last name.") var lastName: String?
    @Option(name: .customLong("field"), help: ArgumentHelp("Any other field: key=value or key:type=value.", valueName: "key=value"))
    var fields: [String] = []
    @Option(help: "The account (default: local).") var account: String?
    @Flag(help: "Print the new contact as rolo's JSON instead of its id.") var json = false

    func run() throws {
        let context = try Context.open(global)
        let target = try context.target(account)
        var assignments: [FieldAssignment] = []
        let named: [(StandardField, String?)] = [(.email, email), (.mobilePhone, mobilePhone), (.firstName, firstName), (.lastName, lastName)]
        for case let (field, value?) in named { assignments.append(FieldAssignment(key: .standard(field), change: .set(value))) }
        for text in fields { assignments.append(try FieldAssignment(parsing: text)) }
        let outcome = try context.services.editor.add(assignments, to: target)
        for warning in outcome.warnings { Output.error("rolo: warning: \(warning)") }
        let id = outcome.contact.id!.shortID
        if json {
            Output.raw(RoloJSON.object(for: outcome.contact, accountName: target.name).prettyText + "\n")
        } else {
            Output.line(id)
        }
        if isatty(STDERR_FILENO) == 1 {
            Output.error("Added \(outcome.contact.displayName) (\(id)) to \(target.name).")
        }
    }
}

struct SetFields: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change fields of a contact.",
        discussion: """
            Each change is key=value (city=Dallas, plan=gold, custom.title=Dr) or key:type=value for a new \
            custom key in a local account (score:number=42). A key a slip away from a standard field \
            (emial=…) is refused rather than made a new custom field: write custom.emial=… to mean it. An \
            empty value or --clear clears the field; clearing a custom key the contact does not have is \
            an error (a misspelt name), and a field that holds a value keeps its type (clear it first to \
            store another). Further emails and phones are named as CSV names \
            them: email_2=… changes the second email, one after the last adds one, email_2_label=home \
            labels it, --clear phone_2 removes one; they stay in rolo. Nothing is written unless every \
            change is valid.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The contact.") var id: String
    @Argument(help: ArgumentHelp("Changes.", valueName: "key=value")) var changes: [String] = []
    @Option(name: .customLong("clear"), help: ArgumentHelp("A field to clear.", valueName: "key")) var clears: [String] = []
    @Flag(help: "Do not ask before changing the email of a contact Notifuse identifies by it.") var yes = false

    func validate() throws {
        if changes.isEmpty && clears.isEmpty { throw ValidationError("nothing to change: give key=value or --clear key") }
    }

    func run() throws {
        let context = try Context.open(global)
        let contactID = try context.services.reader.resolve(id)
        var assignments = try changes.map { try FieldAssignment(parsing: $0) }
        assignments += clears.map { FieldAssignment(clearing: $0) }
        if let email = assignments.last(where: { $0.key == .standard(.email) }), !yes {
            let newEmail: String? = if case .set(let text) = email.change { text } else { nil }
            try confirmIdentityChange(context, contactID, newEmail)
        }
        let outcome = try context.services.editor.update(contactID, assignments: assignments)
        for warning in outcome.warnings { Output.error("rolo: warning: \(warning)") }
        if outcome.deltas.isEmpty {
            Output.line(TerminalText.sanitize("\(contactID.shortID): nothing changed"))
        }
        for delta in outcome.deltas {
            Output.line(TerminalText.sanitize("\(contactID.shortID) \(delta.key.name): \(display(delta.before)) → \(display(delta.after))"))
        }
    }
}

/// A new email for a contact the provider identifies by it is a delete there and a create
/// anew: on a terminal rolo asks; elsewhere it refuses without --yes.
private func confirmIdentityChange(_ context: Context, _ id: ContactID, _ email: String?) throws {
    guard let notice = try context.services.editor.identityChangeNotice(id, email: email) else { return }
    guard Output.standardInputIsTerminal else {
        throw RoloError.invalid(field: "email", notice + "; run again with --yes to do it")
    }
    guard Output.confirm(TerminalText.sanitize(notice.prefix(1).uppercased() + notice.dropFirst()) + ". Go ahead?") else {
        Output.error("Nothing changed.")
        throw ExitCode(1)
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a contact (asks first on a terminal).",
        discussion: "Without --yes, rolo asks on a terminal and refuses otherwise. `rolo undo` brings it back until it is sent."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The contact.") var id: String
    @Flag(help: "Do not ask.") var yes = false

    func run() throws {
        let context = try Context.open(global)
        let contactID = try context.services.reader.resolve(id)
        let contact = try context.services.reader.contact(contactID)
        let account = try context.services.accounts.account(id: contact.accountID)
        if !yes {
            guard Output.standardInputIsTerminal else {
                throw RoloError.invalid(field: "--yes", "refusing to delete \(contactID.shortID) without --yes when not on a terminal")
            }
            guard Output.confirm("Delete \(contact.displayName) (\(contactID.shortID)) from \(account.name)?") else {
                Output.error("Nothing deleted.")
                throw ExitCode(1)
            }
        }
        try context.services.editor.delete(contactID)
        Output.line(TerminalText.sanitize("deleted \(contactID.shortID) \(contact.displayName)"))
    }
}

struct Undo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Undo the newest edit that has not been sent to a provider."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only edits in this account.") var account: String?

    func run() throws {
        let context = try Context.open(global)
        let (scope, _) = try context.scope(account)
        guard let outcome = try context.services.editor.undoLastEdit(in: scope) else {
            throw RoloError.notFound("nothing to undo")
        }
        let what = switch outcome.kind {
        case .update: "undid the edit of"
        case .create: "undid adding"
        case .delete: "brought back"
        }
        Output.line(TerminalText.sanitize("\(what) \(outcome.contactID.shortID) \(outcome.displayName)"))
    }
}
