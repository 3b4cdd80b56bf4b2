import Foundation
import Testing

@Suite("Import and export through the binary")
struct FileTests {
    /// A cache with the demo loaded.
    func demo() throws -> Rolo {
        let rolo = try Rolo()
        let loaded = try rolo("demo")
        #expect(loaded.status == 0, "\(loaded.stderr)")
        return rolo
    }

    /// Drops the `id` members (row ids differ between caches) from rolo JSON text.
    func withoutIDs(_ text: String) -> String {
        text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("\"id\":") }.joined(separator: "\n")
    }

    @Test func rolosJSONRoundTripsEverything() throws {
        let source = try demo()
        let first = try source("export", "--format", "json")
        #expect(first.status == 0)
        let target = try Rolo()
        let file = try target.file("all.json", first.stdout)
        let imported = try target("import", file)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "imported 360 contacts\n")
        let second = try target("export", "--format", "json")
        #expect(withoutIDs(second.stdout) == withoutIDs(first.stdout))
        // Provider ids came along: linked contacts are not queued as creates.
        let accounts = try #require(try Rolo.json(try target("accounts", "--json").stdout) as? [[String: Any]])
        #expect(accounts.first { $0["name"] as? String == "notifuse-demo" }?["pending"] as? Int == 4)
    }

    @Test(arguments: ["4.0", "3.0"])
    func vCardsRoundTripTheDemo(version: String) throws {
        let source = try demo()
        let first = try source("export", "--format", "vcard", "--vcard-version", version)
        #expect(first.status == 0)
        #expect(first.stdout.components(separatedBy: "BEGIN:VCARD").count - 1 == 360)
        #expect(first.stdout.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 }, "lines are folded at 75 octets")
        let target = try Rolo()
        let file = try target.file("all.vcf", first.stdout)
        let imported = try target("import", file)
        #expect(imported.status == 0, "\(imported.stderr)")
        let second = try target("export", "--format", "vcard", "--vcard-version", version)
        #expect(second.stdout == first.stdout)
    }

    @Test func csvRoundTripsTheDemo() throws {
        let source = try demo()
        let first = try source("export", "--format", "csv", "--account", "ivvy-demo")
        #expect(first.stdout.hasPrefix("id,uid,account,salutation,first_name,last_name"))
        let target = try Rolo()
        let file = try target.file("ivvy.csv", first.stdout)
        let imported = try target("import", file, "--account", "local")
        #expect(imported.status == 0, "\(imported.stderr)")
        let second = try target("export", "--format", "csv")
        func rows(_ text: String) -> [String] {
            // Compare everything but the id and account columns.
            text.components(separatedBy: "\r\n").map { $0.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(3).joined() }
        }
        #expect(rows(second.stdout) == rows(first.stdout))
    }

    @Test func aLongImportShowsWhereItStandsOnATerminalAndNothingInAPipe() throws {
        let rolo = try Rolo()
        let records = (0..<2500).map { #"{"first_name": "P\#($0)", "email": "p\#($0)@example.org"}"# }
        let file = try rolo.file("many.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")

        // Into a pipe: the summary alone, no line drawn over.
        let piped = try rolo("import", file)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stderr.contains("\u{1B}") && !piped.stderr.contains("\r"), "\(piped.stderr.debugDescription)")

        // On a terminal (util-linux `script` gives rolo one): a line rewritten in place as it
        // goes — records stored, then the indexing, then the last step — cleared before the
        // summary.
        let again = try Rolo()
        let copy = try again.file("many.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")
        let shown = try Spawned.run("/usr/bin/script", ["-qec", "stty cols 200; \(Tmux.quote(Rolo.binary)) import \(Tmux.quote(copy))", "/dev/null"],
                                    environment: again.environment, input: nil)
        let screen = String(decoding: shown.stdout, as: UTF8.self)
        #expect(shown.status == 0, "\(screen)")
        let clear = "\r\u{1B}[2K"
        // How far into the file it is goes by its bytes, which the reader reads a little ahead.
        for records in [1000, 2000] {
            #expect(screen.firstRange(of: try Regex(NSRegularExpression.escapedPattern(for: clear) + #"importing \S+/many\.json \[[#.]{20}\] \d+%, "# + "\(records) records")) != nil,
                    "\(screen.debugDescription)")
        }
        #expect(screen.contains(clear + "ordering by name [####################] 100%, 2500 of 2500 contacts"
            + clear + "indexing [....................] 0%, 0 of 2500 contacts"))
        #expect(screen.contains(clear + "indexing [####################] 100%, 2500 of 2500 contacts"))
        #expect(screen.contains(clear + "finishing: merging the search index and writing the cache"
            + clear + "stored; writing the cache file" + clear + "imported 2500 contacts"))
    }

    @Test func anExportToAFileShowsWhereItStandsOnATerminal() throws {
        let rolo = try Rolo()
        let records = (0..<2500).map { #"{"first_name": "P\#($0)", "email": "p\#($0)@example.org"}"# }
        #expect(try rolo("import", try rolo.file("many.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")).status == 0)
        let target = rolo.home.appendingPathComponent("out.json").path
        let shown = try Spawned.run("/usr/bin/script", ["-qec", "stty cols 200; \(Tmux.quote(Rolo.binary)) export -o \(Tmux.quote(target))",
                                                        "/dev/null"], environment: rolo.environment, input: nil)
        let screen = String(decoding: shown.stdout, as: UTF8.self)
        #expect(shown.status == 0, "\(screen)")
        let clear = "\r\u{1B}[2K"
        #expect(screen.contains(clear + "exporting to \(target) [....................] 0%, 0 of 2500 contacts"), "\(screen.debugDescription)")
        #expect(screen.contains(clear + "exporting to \(target) [################....] 80%, 2000 of 2500 contacts"
            + clear + "exported 2500 contacts to \(target)\r\n"), "cleared once, before the summary")
        #expect(!FileManager.default.fileExists(atPath: target + ".rolo-partial"))

        // Into a pipe, or with the contacts on the terminal itself, there is no line.
        let piped = try rolo("export", "-o", target)
        #expect(!piped.stderr.contains("\u{1B}"), "\(piped.stderr.debugDescription)")
    }

    /// `-o /dev/stdout` into a pipe (`| wc -l`), as the README shows: /dev/stdout leads to
    /// /proc/self/fd/1 and then to "pipe:[N]", which is no path; rolo looked for a file beside
    /// it and failed with "No such file or directory".
    @Test func anExportToDevStdoutGoesDownAPipe() throws {
        let rolo = try Rolo()
        #expect(try rolo("import", try rolo.file("few.csv", "first_name,email\nAnn,ann@example.com\nBob,bob@example.com\n")).status == 0)
        let piped = try rolo("export", "--format", "csv", "-o", "/dev/stdout")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.hasPrefix("id,uid,account,") && piped.stdout.contains("bob@example.com"), "\(piped.stdout)")
        #expect(piped.stderr == "exported 2 contacts to /dev/stdout\n", "\(piped.stderr)")
    }

    @Test func anExportToTheTerminalShowsNoProgressLine() throws {
        let rolo = try Rolo()
        #expect(try rolo("import", try rolo.file("few.csv", "first_name,email\nAnn,ann@example.com\nBob,bob@example.com\n")).status == 0)
        // Under `script` stderr and /dev/tty are the same terminal: a progress line there would
        // run into the contacts (`… 0 of 2 contactsid,uid,…`).
        let shown = try Spawned.run("/usr/bin/script", ["-qec", "stty cols 200; \(Tmux.quote(Rolo.binary)) export --format csv -o /dev/tty",
                                                        "/dev/null"], environment: rolo.environment, input: nil)
        let screen = String(decoding: shown.stdout, as: UTF8.self)
        #expect(shown.status == 0, "\(screen)")
        #expect(!screen.contains("exporting to"), "\(screen.debugDescription)")
        #expect(screen.hasPrefix("id,uid,account,") && screen.contains("ann@example.com") && screen.hasSuffix("exported 2 contacts to /dev/tty\r\n"),
                "\(screen.debugDescription)")
    }

    @Test func anExportInterruptedOnATerminalSaysSo() throws {
        let rolo = try Rolo()
        let records = (0..<2500).map { #"{"first_name": "P\#($0)", "email": "p\#($0)@example.org"}"# }
        #expect(try rolo("import", try rolo.file("many.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")).status == 0)
        // A FIFO nobody reads: the export fills it and waits, its line on the screen.
        let fifo = rolo.home.appendingPathComponent("stuck.json").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let tui = try Tmux(rolo, width: 160, arguments: ["export", "-o", fifo])
        tui.wait(for: "exporting to \(fifo) [....................] 0%, 0 of 2500 contacts")
        #expect(kill(tui.pid, SIGINT) == 0)
        tui.wait(for: "rolo: export interrupted; \(fifo) was not written whole")
        #expect(tui.exitStatus() == 130)
    }

    @Test func anExportStoppedBySIGTERMLeavesNoPartialFileEvenWithoutATerminal() throws {
        let rolo = try Rolo()
        let records = (0..<20_000).map { #"{"first_name": "P\#($0)", "email": "p\#($0)@example.org", "city": "Lyon"}"# }
        #expect(try rolo("import", try rolo.file("many.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")).status == 0)
        let target = rolo.home.appendingPathComponent("out.json").path
        let partial = target + ".rolo-partial"
        // stderr goes nowhere (a job run by cron, say): no note, but no file of personal data left.
        let export = try Spawned.start(Rolo.binary, ["export", "-o", target], environment: rolo.environment)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: partial), export.isRunning(), Date() < deadline { usleep(1_000) }
        // Held still while the file is half written, then stopped.
        #expect(kill(export.pid, SIGSTOP) == 0)
        try #require(FileManager.default.fileExists(atPath: partial), "the export was caught while it wrote its partial file")
        #expect(kill(export.pid, SIGTERM) == 0 && kill(export.pid, SIGCONT) == 0)
        #expect(export.wait() == 128 + SIGTERM)
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func anImportInterruptedOnATerminalSaysItStoredNothingAndStoresNothing() throws {
        let rolo = try Rolo()
        let fifo = rolo.home.appendingPathComponent("slow.json").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let tui = try Tmux(rolo, width: 120, arguments: ["import", fifo])
        // The import reads the pipe as it comes: 1,500 records, then the writer waits.
        let writer = open(fifo, O_WRONLY)
        #expect(writer >= 0)
        defer { close(writer) }
        let records = (0..<1500).map { #"{"first_name": "P\#($0)", "email": "p\#($0)@example.org"}"# }
        let text = Array(("[\n" + records.joined(separator: ",\n") + ",\n").utf8)
        #expect(text.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) } == text.count)
        tui.wait(for: "importing \(fifo), 1000 records")
        // What Ctrl-C sends, to rolo alone: tmux's C-c would also end the pane's shell, which
        // then could not report rolo's status.
        #expect(kill(tui.pid, SIGINT) == 0)
        let screen = tui.wait(for: "rolo: import interrupted; nothing was imported (an import is all or nothing)")
        #expect(!screen.contains("1000 records"), "the note is written over the progress line")
        #expect(tui.exitStatus() == 130)
        #expect(try rolo("list", "--limit", "0").stdout.isEmpty)
    }

    @Test func aMalformedFileNamesItsLineAndImportsNothing() throws {
        let rolo = try Rolo()
        let cases: [(String, String, String)] = [
            ("bad.json", "[\n  {\"email\": \"a@example.com\"},\n  {\"email\": \"b@example.com\",}\n]\n", "line 3:"),
            ("bad-field.json", "[\n{\"email\": \"a@example.com\"},\n{\"email\": 5}\n]", "line 3: email: must be a string"),
            ("bad.csv", "first_name,email\nAnn,ann@example.com\n\"Bob,bob@example.com\n", "line 3: a quote opened here is never closed"),
            ("cells.csv", "first_name,email\nAnn,ann@example.com\nBob,bob@example.com,extra\n", "line 3: has 3 cells; the header has 2"),
            ("invalid.csv", "first_name,email\nAnn,ann@example.com\nBob,bob@\n", "line 3: email:"),
            ("bad.vcf", "BEGIN:VCARD\nVERSION:4.0\nFN:Ann\nEMAIL:ann@example.com\nEND:VCARD\nBEGIN:VCARD\nVERSION:4.0\nFN:Bob\n", "line 6: BEGIN:VCARD here has no END:VCARD"),
            ("noversion.vcf", "BEGIN:VCARD\nFN:Ann\nEMAIL:ann@example.com\nEND:VCARD\n", "line 1: the vCard has no VERSION"),
        ]
        for (name, contents, message) in cases {
            let result = try rolo("import", try rolo.file(name, contents))
            #expect(result.status == 2, "\(name): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
            #expect(try rolo("list", "--tsv").stdout.isEmpty, "\(name) imported something")
        }
    }

    @Test func theErrorThatStopsAnImportNamesTheFile() throws {
        let rolo = try Rolo()
        let bad = "first_name,email,favourite\nAnn,ann@example.com,tea\nBob,bob@,x\n"
        let message = "line 3: email: “bob@” is not an email address (the domain after @ should look like example.com)"
        let file = try rolo.file("book.csv", bad)
        // What was noticed about the columns is said too, before the error: it may be why.
        let column = "line 1: column “favourite” is not a field of rolo; it is read as the custom key favourite"
        let stopped = try rolo("import", file)
        #expect(stopped.status == 2)
        #expect(stopped.stderr == "rolo: warning: \(file): \(column)\nrolo: \(file): \(message)\n")
        let piped = try rolo("import", "-", "--format", "csv", input: bad)
        #expect(piped.stderr == "rolo: warning: standard input: \(column)\nrolo: standard input: \(message)\n")
        // A name with a control character in it is shown as the warnings show it.
        let odd = try rolo.file("odd\u{07}name.csv", bad)
        let refused = try rolo("import", odd)
        let warned = try rolo("import", odd, "--skip-invalid")
        let shown = odd.replacingOccurrences(of: "\u{07}", with: "␇")
        #expect(warned.stderr.contains("rolo: warning: \(shown): line 1: "), "\(warned.stderr)")
        #expect(refused.stderr == "rolo: warning: \(shown): \(column)\nrolo: \(shown): \(message)\n")
    }

    @Test func skipInvalidImportsTheRestAndListsTheOthers() throws {
        let rolo = try Rolo()
        let file = try rolo.file("mixed.csv", "first_name,email,mobile\nAnn,ann@example.com,\nBob,bob@,\nCy,,+15550001234\n")
        let result = try rolo("import", file, "--skip-invalid")
        #expect(result.status == 0)
        #expect(result.stdout == "imported 2 contacts, skipped 1\n")
        #expect(result.stderr.contains("line 3: email:"))
        #expect(try rolo("list", "--tsv").stdout.split(separator: "\n").count == 2)
    }

    @Test func aContactRepeatedInTheFileIsNotSaidToBeInTheCache() throws {
        let rolo = try Rolo()
        let file = try rolo.file("dups.csv", "first_name,email,mobile_phone\nAnn,ann@example.com,\nAnn,ANN@example.com,\n"
            + "Mo,,+12125550199\nMo,,+1 212 555 0199\n")
        let first = try rolo("import", file)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "imported 2 contacts, skipped 2 repeated in the file (matched 1 by email, 1 by mobile phone; "
            + "--on-duplicate update or add to change that)\n")
        let again = try rolo("import", file)
        #expect(again.stdout == "imported 0 contacts, skipped 4 already in the cache (matched 2 by email, 2 by mobile phone; "
            + "--on-duplicate update or add to change that)\n")
        let more = try rolo.file("more.csv", "first_name,email\nAnn,ann@example.com\nBea,bea@example.com\nBea,bea@example.com\n")
        #expect(try rolo("import", more, "--on-duplicate", "update").stdout
            == "imported 1 contact, updated 1 already in the cache, 1 repeated in the file (matched 2 by email; 0 changed)\n")
    }

    @Test func aFailedImportIntoANewCacheLeavesNoCacheBehind() throws {
        let rolo = try Rolo()
        let bad = try rolo.file("bad.csv", "first_name,email\nAnn,ann@\n")
        let folder = rolo.home.appendingPathComponent("new").path
        let failed = try rolo("import", "--db", folder + "/sub/contacts.sqlite", bad)
        #expect(failed.status == 2, "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder), "neither the cache nor the folders made for it")
        let missing = try rolo("import", "--db", folder + "/contacts.sqlite", rolo.home.appendingPathComponent("absent.csv").path)
        #expect(missing.status == 3 && !FileManager.default.fileExists(atPath: folder), "\(missing.stderr)")
        // A cache that was there stays, with what it held.
        let good = try rolo.file("good.csv", "first_name,email\nAnn,ann@example.com\n")
        #expect(try rolo("import", "--db", folder + "/contacts.sqlite", good).status == 0)
        #expect(try rolo("import", "--db", folder + "/contacts.sqlite", bad).status == 2)
        #expect(try rolo("list", "--db", folder + "/contacts.sqlite", "--tsv").stdout.split(separator: "\n").count == 1)
    }

    @Test func skipInvalidThatSkipsEveryRecordExitsTwo() throws {
        let rolo = try Rolo()
        let file = try rolo.file("bad.csv", "first_name,email\nAnn,ann@\nBob,bob@\n")
        let result = try rolo("import", file, "--skip-invalid")
        #expect(result.status == 2)
        #expect(result.stdout == "imported 0 contacts, skipped 2\n")
        #expect(result.stderr.hasSuffix("rolo: \(file): none of its 2 records could be imported; nothing was imported\n"), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "rolo: skipped: ").count == 3, "each record is listed")
        let one = try rolo("import", try rolo.file("one.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEMAIL:ann@\nEND:VCARD\n"), "--skip-invalid")
        #expect(one.status == 2 && one.stderr.hasSuffix("its one record is invalid; nothing was imported\n"), "\(one.stderr)")
        // Some imported, or found already in the cache: a success.
        let some = try rolo.file("some.csv", "first_name,email\nAnn,ann@example.com\nBob,bob@\n")
        #expect(try rolo("import", some, "--skip-invalid").status == 0)
        #expect(try rolo("import", some, "--skip-invalid").status == 0)
    }

    @Test func anEmptyFileSaysItHoldsNoContacts() throws {
        let rolo = try Rolo()
        for (name, contents) in [("empty.csv", ""), ("header.csv", "first_name,email\r\n"), ("empty.vcf", ""), ("empty.json", "[]")] {
            let result = try rolo("import", try rolo.file(name, contents))
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout == "imported 0 contacts\n")
            #expect(result.stderr.hasSuffix("\(name): the file holds no contacts\n"), "\(name): \(result.stderr)")
        }
        // A file of contacts all already here holds contacts.
        let file = try rolo.file("one.csv", "first_name,email\nAnn,ann@example.com\n")
        #expect(try rolo("import", file).status == 0)
        #expect(!(try rolo("import", file).stderr.contains("holds no contacts")))
    }

    @Test func theConfigSaysWhereNumbersWithoutACountryCodeComeFrom() throws {
        let rolo = try Rolo()
        let folder = rolo.home.appendingPathComponent("config/rolo")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("config.toml").path
        try Data("[import]\ndefault_region = \"US\"\n".utf8).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        let file = try rolo.file("book.csv", "first_name,email,phone\nAnn,ann@example.com,214-555-0100\n")
        let imported = try rolo("import", file)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(!imported.stderr.contains("warning"), "stored in international form, nothing to warn about: \(imported.stderr)")
        #expect(try rolo("list", "--tsv").stdout.contains("\t+12145550100\t"))

        try Data("[import]\ndefault_region = \"Texas\"\n".utf8).write(to: URL(fileURLWithPath: config))
        let refused = try rolo("import", file)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("import.default_region: must be a country code rolo knows"), "\(refused.stderr)")
    }

    @Test func exportFollowsTheQueryAndWritesFilesWhole() throws {
        let rolo = try demo()
        let out = rolo.home.appendingPathComponent("dallas.csv").path
        let result = try rolo("export", "city:dallas", "--format", "csv", "--output", out)
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("exported "))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\r\n")
        #expect(lines.count > 3)
        #expect(lines.dropFirst().allSatisfy { $0.contains("Dallas") })
        #expect(!FileManager.default.fileExists(atPath: out + ".rolo-partial"))
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(mode == 0o600, "exports hold personal data")
    }

    @Test func anExportFileTakesItsFormatFromItsName() throws {
        let rolo = try demo()
        let starts = ["csv": "id,uid,account,", "vcf": "BEGIN:VCARD", "json": "{"]
        for (ext, start) in starts {
            let out = rolo.home.appendingPathComponent("people.\(ext)").path
            #expect(try rolo("export", "city:dallas", "-o", out).status == 0)
            #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix(start), ".\(ext)")
        }
        let forced = rolo.home.appendingPathComponent("people.txt").path
        #expect(try rolo("export", "--format", "csv", "-o", forced).status == 0)
        #expect(try String(contentsOfFile: forced, encoding: .utf8).hasPrefix("id,uid,"))
        let unknown = try rolo("export", "-o", rolo.home.appendingPathComponent("people.dat").path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("name it .json, .csv or .vcf"))
    }

    /// Imported custom values and provider data follow the rules typed values do; a refused
    /// import names the line and the field and imports nothing.
    @Test func importedCustomValuesAndProviderDataRefuseControlCharacters() throws {
        let rolo = try Rolo()
        let files: [(String, String, String)] = [
            ("bell.csv", "email,custom.plan\na@example.com,ok\nb@example.com,\"gold\u{07}\"\n",
             "line 3: custom.plan: contains a control character (U+0007)"),
            ("osc.json", #"[{"email": "a@example.com", "custom": {"plan": {"type": "text", "value": "\u001b]52;c;eA==\u0007"}}}]"#,
             "line 1: custom.plan: contains a control character (U+001B)"),
            ("data.json", #"[{"email": "a@example.com", "extensions": {"dailystory": {"note": "\u009b2J"}}}]"#,
             "line 1: extensions.dailystory: contains a control character (U+009B)"),
            ("card.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEMAIL:ann@example.com\r\nX-ROLO-CUSTOM;X-KEY=plan;X-TYPE=text:x\u{1B}[2Jy\r\nEND:VCARD\r\n",
             "line 5: custom.plan: contains a control character (U+001B)"),
        ]
        for (name, text, message) in files {
            let file = try rolo.file(name, text)
            let result = try rolo("import", file)
            #expect(result.status == 2, "\(name)")
            #expect(result.stderr.hasPrefix("rolo: \(file): " + message), "\(name): \(result.stderr)")
        }
        #expect(try rolo("list", "--tsv").stdout.isEmpty, "nothing was imported")
        let lines = try rolo("import", try rolo.file("lines.csv", "email,custom.memo\na@example.com,\"two\nlines\tand a tab\"\n"))
        #expect(lines.status == 0, "tabs and line breaks are text: \(lines.stderr)")
    }

    /// Files keep data faithfully: a value a provider sent with escape sequences is exported
    /// byte for byte (to a file or a pipe); only a terminal gets it made safe (EndToEndTests).
    @Test func showNamesAPhotoAndExportsKeepItWhole() throws {
        let rolo = try Rolo()
        let photo = String(repeating: "/9j/4AAQSkZJRg", count: 220)   // 3,080 digits: 2,310 bytes
        var card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEMAIL:ann@example.com\r\nPHOTO;ENCODING=b;TYPE=JPEG:"
        var line = Substring(photo)
        card += line.prefix(40)
        line = line.dropFirst(40)
        while !line.isEmpty { card += "\r\n " + line.prefix(74); line = line.dropFirst(74) }
        card += "\r\nEND:VCARD\r\n"
        #expect(try rolo("import", try rolo.file("ann.vcf", card)).status == 0)
        let shown = try rolo("show", "ann@example.com")
        #expect(shown.stdout.contains("vcard  [\"PHOTO (image/jpeg, 2.3 KB)\"]"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("/9j/"))
        #expect(try rolo("show", "ann@example.com", "--json").stdout.contains(photo), "rolo JSON is data: it keeps it")
        let exported = try rolo("export", "--format", "vcard", "--vcard-version", "3.0").stdout
        #expect(exported.replacingOccurrences(of: "\r\n ", with: "").contains("PHOTO;ENCODING=b;TYPE=JPEG:" + photo))
    }

    @Test func anExportFileKeepsProviderDataByteForByte() throws {
        let rolo = try Rolo()
        _ = try rolo("paths")
        let hostile = "\u{1B}]0;pwned\u{07}gold"
        try rolo.seed([[.email: "clip@example.com"]], custom: ["plan": .text(hostile)], account: "ds", provider: .dailystory)
        let path = rolo.home.appendingPathComponent("out.csv").path
        #expect(try rolo("export", "--format", "csv", "-o", path).status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(hostile))
        #expect(try rolo("export", "--format", "csv").stdout.contains(hostile), "a pipe is data too")
    }

    @Test func withoutTheDemoDataEachCommandSaysHowToPointAtIt() throws {
        let rolo = try Rolo()
        // A binary with no source tree or share/rolo/demo above it, and no ROLO_DEMO_DIR.
        let binary = rolo.home.appendingPathComponent("rolo").path
        do { try FileManager.default.linkItem(atPath: Rolo.binary, toPath: binary) } catch {
            try FileManager.default.copyItem(atPath: Rolo.binary, toPath: binary)
        }
        let environment = rolo.environment.merging(["ROLO_DEMO_DIR": ""]) { _, new in new }
        let demo = try Spawned.run(binary, ["demo"], environment: environment, input: Data())
        #expect(demo.status == 3)
        #expect(String(decoding: demo.stderr, as: UTF8.self)
            == "rolo: cannot find the demo data; give --from DIR or set ROLO_DEMO_DIR (assets/demo in the source tree)\n")
        let sandbox = try Spawned.run(binary, ["sandbox"], environment: environment, input: Data())
        #expect(sandbox.status == 3)
        #expect(String(decoding: sandbox.stderr, as: UTF8.self)
            == "rolo: cannot find the demo data; set ROLO_DEMO_DIR to its folder (assets/demo in the source tree)\n")
    }

    @Test func theDemoSaysWhichFolderOrFileIsWrong() throws {
        let rolo = try Rolo()
        let missing = try rolo("demo", "--from", "/nonexistent-folder")
        #expect(missing.status == 3)
        #expect(missing.stderr == "rolo: no demo folder /nonexistent-folder\n")
        let folder = rolo.home.appendingPathComponent("broken-demo")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data([0xFF, 0xFE, 0x00]).write(to: folder.appendingPathComponent("broken.json"))
        let broken = try rolo("demo", "--from", folder.path)
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("rolo: \(folder.path)/broken.json: "), "\(broken.stderr)")
    }

    @Test func anExportNeverReplacesTheCacheALinkOrADevice() throws {
        let rolo = try demo()
        for path in [rolo.cache, rolo.cache + "-wal"] {
            let refused = try rolo("export", "--format", "csv", "-o", path)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("is rolo's cache"), "\(refused.stderr)")
        }
        #expect(try rolo("list", "--tsv").stdout.split(separator: "\n").count == 360, "the cache is whole")

        // A symbolic link stays a link; its target gets the contacts.
        let target = rolo.home.appendingPathComponent("real.csv").path
        let link = rolo.home.appendingPathComponent("link.csv").path
        try "old".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.csv")
        #expect(try rolo("export", "city:dallas", "-o", link).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.csv")
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("id,uid,"))

        // A FIFO is written to, not replaced by a file.
        let fifo = rolo.home.appendingPathComponent("pipe.json").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = Locked(Data())
        let reader = Thread { received.set(FileHandle(forReadingAtPath: fifo)!.readDataToEndOfFile()) }
        reader.start()
        #expect(try rolo("export", "city:dallas", "-o", fifo).status == 0)
        // Poll with a deadline: an export that never opened the FIFO leaves the reader waiting
        // for a writer, and the test must fail, not hang.
        let deadline = Date().addingTimeInterval(10)
        while !reader.isFinished, Date() < deadline { usleep(10_000) }
        if !reader.isFinished {
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)   // lets the waiting reader go
            if writer >= 0 { close(writer) }
            Issue.record("the export never reached the FIFO's reader")
        }
        #expect(String(decoding: received.value, as: UTF8.self).hasPrefix("{"))
        var status = stat()
        #expect(stat(fifo, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO, "still a FIFO")
    }
}

extension FileTests {
    /// Ten imports of one file started together into a cache none of them has made yet: the
    /// first stores it, every other one says it is already there. No SQLite error reaches anyone.
    @Test func importsStartedTogetherAgreeOnWhoStoresTheFile() throws {
        let rolo = try Rolo()
        let file = try rolo.file("people.csv", """
            uid,email,first_name
            11111111-1111-4111-8111-111111111111,a@example.com,Ann
            22222222-2222-4222-8222-222222222222,b@example.com,Bob

            """)
        // Ten imports of one file at once: one stores it, nine find every contact already here
        // and skip it (the default for duplicates); never two of one contact, never a crash.
        var runs: [(Spawned, Int32)] = []
        for _ in 0..<10 {
            let errors = try Spawned.pipe()
            runs.append((try Spawned.start(Rolo.binary, ["import", file], environment: rolo.environment,
                                           stderr: .descriptor(errors.write)), errors.read))
            close(errors.write)
        }
        var statuses: [Int32] = []
        for (process, errors) in runs {
            let stderr = String(decoding: FileHandle(fileDescriptor: errors, closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
            let status = process.wait()
            statuses.append(status)
            #expect(!stderr.contains("UNIQUE") && !stderr.contains("not a usable"), "\(stderr)")
        }
        #expect(statuses == Array(repeating: 0, count: 10))
        #expect(try rolo("list", "--tsv").stdout.split(separator: "\n").count == 2)
    }
}

extension FileTests {
    @Test func aWindows1252FileIsImportedWithCharsetAndRefusedWithoutIt() throws {
        let rolo = try Rolo()
        // Outlook's CSV export on a Western European Windows: its code page and CR LF.
        let text = "\"First Name\",\"Last Name\",\"E-mail Address\",\"Business Street\"\r\n"
            + "\"Zoë\",\"O’Brien\",\"zoe@example.com\",\"1 Quay St\"\r\n\"Jürgen\",\"Müller\",\"jm@example.com\",\"\"\r\n"
        let windows1252: [Unicode.Scalar: UInt8] = ["ë": 0xEB, "’": 0x92, "ü": 0xFC]
        let file = try rolo.file("outlook.csv", bytes: Data(text.unicodeScalars.map { windows1252[$0] ?? UInt8($0.value) }))

        let refused = try rolo("import", file)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("line 2: byte 0xEB is not UTF-8 text; if the file came from Outlook or Excel on Windows "
            + "it is probably Windows-1252: import it with --charset windows-1252\n"), "\(refused.stderr)")
        #expect(try rolo("list", "--tsv").stdout.isEmpty)

        let imported = try rolo("import", file, "--charset", "windows-1252")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "imported 2 contacts\n")
        let listed = try rolo("list", "--tsv").stdout
        #expect(listed.contains("Zoë O’Brien") && listed.contains("Jürgen Müller"), "\(listed)")
    }

    @Test func charsetTakesTheNamesRoloReadsAndNotForJSON() throws {
        let rolo = try Rolo()
        let csv = try rolo.file("latin.csv", bytes: Data("first_name,email\nJos".utf8) + Data([0xE9]) + Data(",jose@example.com\n".utf8))
        let unknown = try rolo("import", csv, "--charset", "klingon")
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "rolo: --charset: “klingon” is not a charset rolo reads; give one of UTF-8, US-ASCII, ISO-8859-1, "
            + "ISO-8859-2, ISO-8859-15, Windows-1250, Windows-1251, Windows-1252\n")
        let json = try rolo("import", try rolo.file("people.json", "[]"), "--charset", "latin1")
        #expect(json.status == 2)
        #expect(json.stderr == "rolo: --charset: rolo JSON is UTF-8, as JSON is (RFC 8259); --charset ISO-8859-1 does not apply to it\n")
        #expect(try rolo("import", try rolo.file("people.json", "[]"), "--charset", "utf-8").status == 0)
        // Names as Charset(named:) takes them: an alias, any case.
        let alias = try rolo("import", csv, "--charset", "Latin1")
        #expect(alias.status == 0, "\(alias.stderr)")
        #expect(try rolo("list", "--tsv").stdout.contains("José"))
    }

    @Test func anImportReadsFromAPipeAsWellAsAFile() throws {
        let rolo = try Rolo()
        let outcome = try Spawned.run("/bin/bash", ["-c", "\"$0\" import <(printf 'email\\nzed@example.com\\n') --format csv", Rolo.binary],
                                      environment: rolo.environment, input: Data())
        #expect(outcome.status == 0)
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "imported 1 contact\n")
        let folder = try rolo("import", rolo.home.path, "--format", "csv")
        #expect(folder.status == 1)
        #expect(folder.stderr == "rolo: cannot read \(rolo.home.path): it is a folder\n")
    }
}

/// A value shared with a thread.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func set(_ value: Value) { lock.withLock { stored = value } }
}

@Suite("Several emails and phones through the binary")
struct FurtherValuesCLITests {
    @Test func aCardsFurtherValuesAreShownFoundAndExported() throws {
        let rolo = try Rolo()
        let card = [
            "BEGIN:VCARD", "VERSION:3.0", "N:Nakamura;Yuki;;;", "FN:Yuki Nakamura",
            "item1.TEL;type=pref:+81 90-1234-5678", "item1.X-ABLabel:_$!<Mobile>!$_",
            "TEL;type=WORK;type=FAX:+81 3-1234-5679", "item2.TEL:+81 3-1234-5670", "item2.X-ABLabel:Front desk",
            "EMAIL;type=INTERNET;type=pref:yuki@example.jp", "item3.EMAIL;type=INTERNET:yuki.home@example.jp",
            "item3.X-ABLabel:_$!<Home>!$_", "END:VCARD",
        ].joined(separator: "\r\n") + "\r\n"
        let imported = try rolo("import", try rolo.file("yuki.vcf", card))
        #expect(imported.status == 0, "\(imported.stderr)")
        let shown = try rolo("show", "yuki@example.jp")
        // The labelled number that is no fax is the phone; the fax is a further phone, after the mobile.
        let lines = shown.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let contactLines = lines.filter { $0.hasPrefix("Email") || $0.hasPrefix("Phone") || $0.hasPrefix("Mobile") }
        #expect(contactLines == ["Email             yuki@example.jp", "Email (home)      yuki.home@example.jp", "Phone             +81312345670",
                                 "Mobile phone      +819012345678", "Phone (work fax)  +81312345679"], "\(shown.stdout)")
        let found = try rolo("list", "--tsv", "email:yuki.home")
        #expect(found.stdout.contains("Yuki Nakamura"), "the filter finds a further email")
        let csv = try rolo("export", "--format", "csv")
        let header = csv.stdout.split(separator: "\r\n").first.map(String.init) ?? ""
        #expect(header.hasSuffix(",notes,email_2,email_2_label,phone_2,phone_2_label"), "\(header)")
        #expect(csv.stdout.contains(",yuki.home@example.jp,home,"), "\(csv.stdout)")
        // Exported and imported into another cache, they come back with their labels.
        let other = try Rolo()
        let again = try other("import", try other.file("all.csv", csv.stdout))
        #expect(again.status == 0, "\(again.stderr)")
        let json = try #require(try Rolo.json(try other("show", "--json", "yuki@example.jp").stdout) as? [String: Any])
        let phones = try #require(json["other_phones"] as? [[String: String]])
        #expect(phones == [["label": "work fax", "value": "+81312345679"]])
        #expect(json["other_emails"] as? [[String: String]] == [["label": "home", "value": "yuki.home@example.jp"]])
    }

    @Test func aSecondImportWithUpdateAddsTheFurtherValuesTheContactLacks() throws {
        let rolo = try Rolo()
        func card(_ lines: String...) -> String {
            (["BEGIN:VCARD", "VERSION:3.0", "FN:Ann Lee", "EMAIL;TYPE=pref:ann@example.com"] + lines + ["END:VCARD"]).joined(separator: "\r\n") + "\r\n"
        }
        #expect(try rolo("import", try rolo.file("a.vcf", card("EMAIL;TYPE=home:ann@home.example"))).status == 0)
        let again = try rolo("import", "--on-duplicate", "update",
                             try rolo.file("b.vcf", card("EMAIL;TYPE=home:ANN@home.example", "EMAIL;TYPE=work:ann@work.example",
                                                         "TEL;TYPE=fax:+12145550102")))
        #expect(again.status == 0, "\(again.stderr)")
        let json = try #require(try Rolo.json(try rolo("show", "--json", "ann@example.com").stdout) as? [String: Any])
        #expect(json["other_emails"] as? [[String: String]] == [["label": "home", "value": "ann@home.example"],
                                                                 ["label": "work", "value": "ann@work.example"]],
                "the home email is held already (emails compare without case); the work one is added")
        #expect(json["other_phones"] as? [[String: String]] == [["label": "fax", "value": "+12145550102"]])
    }
}
