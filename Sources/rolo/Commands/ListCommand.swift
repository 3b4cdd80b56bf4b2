import ArgumentParser
import Foundation
import RoloCore
import RoloInterchange
import RoloSync

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List contacts, optionally matching a query.",
        discussion: """
            The query is the live filter's: words match as prefixes and all must match (rob dal); \
            field:term looks in one field (email:example.com, city:dallas, plan:gold), and a field that \
            does not exist is an error; "exact phrase".

            --tsv prints one contact per line without a header: id, name, email, phone, company, account. \
            Tabs, newlines and backslashes inside values are written as \\t, \\n and \\\\.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Words to match (joined with spaces).") var query: [String] = []
    @Flag(help: "Print rolo's JSON (an array of contacts).") var json = false
    @Flag(help: "Print tab-separated values.") var tsv = false
    @Option(help: "Print at most this many (0 for all). Default: 50 on a terminal, all otherwise.") var limit: Int?
    @Option(help: "Only this account.") var account: String?
    @Option(help: "name, name-desc or recent.") var sort: ListOrder = .name

    func validate() throws {
        if json && tsv { throw ValidationError("choose one of --json and --tsv") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let parsed = try commandLineQuery(query)
        let context = try Context.open(global)
        let (scope, _) = try context.scope(account)
        try context.checkFields(of: parsed, in: scope)
        let wanted = limit ?? (Output.standardOutputIsTerminal && !json && !tsv ? 50 : 0)
        let accountNames = Dictionary(uniqueKeysWithValues: try context.services.accounts.accounts().map { ($0.id, $0.name) })

        var rows: [ContactSummary] = []
        var anchor = WindowAnchor.first
        var printedJSON = 0
        var printedTSV = 0
        var out = Output.Buffered()
        let forTerminal = Output.standardOutputIsTerminal
        if json {
            // Contacts a page at a time, each page one read, printed as they come.
            out.append("[")
            struct Enough: Error {}
            do {
                try context.services.reader.forEachContact(in: scope, matching: parsed, order: sort) { contact in
                    if wanted > 0 && printedJSON >= wanted { throw Enough() }
                    let object = RoloJSON.object(for: contact, accountName: accountNames[contact.accountID] ?? "")
                    out.append((printedJSON == 0 ? "\n" : ",\n") + object.prettyText(depth: 1))
                    printedJSON += 1
                }
            } catch is Enough {}
            out.append(printedJSON == 0 ? "]\n" : "\n]\n")
            out.flush()
            return
        }
        readLoop: while true {
            // Scripts' output shows no sync markers, so the rows are read without them.
            let page = tsv
                ? try context.services.reader.windowWithoutMarkers(in: scope, matching: parsed, order: sort, from: anchor, limit: 2000)
                : try context.services.reader.window(in: scope, matching: parsed, order: sort, from: anchor, limit: 2000)
            for row in page.rows {
                if wanted > 0 && rows.count + printedTSV >= wanted { break readLoop }
                if tsv {
                    // Streamed: nothing is kept, so memory stays flat however many rows.
                    out.tsv([row.id.shortID, row.displayName, row.email, row.phone, row.company, accountNames[row.accountID]],
                            forTerminal: forTerminal)
                    out.newline()
                    printedTSV += 1
                } else {
                    rows.append(row)
                }
            }
            guard let last = page.rows.last, !page.reachedEnd else { break }
            anchor = .after(last.cursor)
        }
        out.flush()
        if tsv { return }
        if rows.isEmpty {
            Output.error(parsed.map { "no contacts match \($0.text)" } ?? "no contacts (try `rolo demo` or `rolo import FILE`)")
            return
        }
        let showAccount = accountNames.count > 1 && account == nil
        var header = ["ID", "NAME", "EMAIL", "PHONE", "COMPANY"]
        if showAccount { header.append("ACCOUNT") }
        let cells = rows.map { row -> [String] in
            var line = [row.marker.symbol + row.id.shortID, row.displayName, row.email ?? "", row.phone ?? "", row.company ?? ""]
            if showAccount { line.append(accountNames[row.accountID] ?? "") }
            return line
        }
        var table = Output.Buffered()
        Output.table(header: [" " + header[0]] + header.dropFirst(), rows: cells, flexible: 2, into: &table)
        table.flush()
        if wanted > 0 && rows.count == wanted {
            let total = try context.services.reader.count(in: scope, matching: parsed) ?? 0
            if total > wanted { Output.error("\(wanted) of \(total) shown; --limit 0 shows all") }
        }
    }
}
