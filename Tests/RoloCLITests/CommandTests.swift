import Foundation
import Testing

@Suite("rolo's commands, through the built binary")
struct CommandTests {
    @Test func addListShowSetDeleteUndo() throws {
        let rolo = try Rolo()
        let added = try rolo("add", "--first-name", "Rob", "--last-name", "Howard", "--email", "rob@example.com",
                             "--mobile-phone", "+1 (555) 714-0059", "--field", "city=Dallas", "--field", "plan=gold")
        #expect(added.status == 0, "\(added.stderr)")
        let id = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 4)

        let list = try rolo("list", "--tsv")
        #expect(list.stdout == "\(id)\tRob Howard\trob@example.com\t+15557140059\t\tlocal\n")

        let show = try rolo("show", id, "--json")
        let contact = try #require(try Rolo.json(show.stdout) as? [String: Any])
        #expect(contact["mobile_phone"] as? String == "+15557140059", "stored in E.164")
        #expect((contact["custom"] as? [String: Any])?["plan"] as? [String: String] == ["type": "text", "value": "gold"])

        let set = try rolo("set", id, "city=Austin", "score:number=42", "--clear", "plan")
        #expect(set.status == 0)
        #expect(set.stdout.contains("\(id) city: Dallas → Austin"))
        #expect(set.stdout.contains("\(id) custom.score: — → 42"))
        #expect(set.stdout.contains("\(id) custom.plan: gold → —"))
        let after = try #require(try Rolo.json(try rolo("show", "rob@example.com", "--json").stdout) as? [String: Any])
        #expect(after["city"] as? String == "Austin")
        let score = try #require((after["custom"] as? [String: Any])?["score"] as? [String: Any])
        #expect(score["type"] as? String == "number")
        #expect(score["value"] as? Double == 42)

        let refused = try rolo("delete", id)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("without --yes"))
        #expect(try rolo("delete", id, "--yes").status == 0)
        #expect(try rolo("show", id).status == 3)
        let undo = try rolo("undo")
        #expect(undo.stdout == "brought back \(id) Rob Howard\n")
        #expect(try rolo("show", id).status == 0)
    }

    @Test func invalidInputIsRefusedWithTheFieldAndNothingIsWritten() throws {
        let rolo = try Rolo()
        let cases: [([String], String)] = [
            (["add", "--email", "rob@"], "email:"),
            (["add", "--first-name", "Rob"], "needs email or mobile phone"),
            (["add", "--mobile-phone", "555-0100"], "mobile_phone:"),
            (["add", "--email", "a@example.com", "--field", "score:number=12 seats"], "is not a number"),
            (["add", "--email", "a@example.com", "--field", "due:date=2023-02-30"], "is not a date"),
            (["add", "--email", "a@example.com", "--field", "prefs:json={\"a\":1,}"], "trailing comma"),
            (["add", "--email", "a@example.com", "--field", "website=not a url"], "website:"),
            (["add", "--email", "a@example.com", "--field", "bad key=x"], "must not contain"),
            (["add", "--email", "a@example.com", "--field", "novalue"], "write key=value"),
            (["add", "--email", "a@example.com", "--field", "k:color=red"], "is not a type"),
        ]
        for (arguments, message) in cases {
            let result = try rolo.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(try rolo("list", "--tsv").stdout.isEmpty, "nothing was written")
    }

    @Test func exitCodesForUsageAndNotFound() throws {
        let rolo = try Rolo()
        let unknown = try rolo("frobnicate")
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "rolo: “frobnicate” is not a command; rolo help lists them\n", "\(unknown.stderr)")
        #expect(try rolo("list", "--limit", "lots").status == 2)
        #expect(try rolo("list", "--json", "--tsv").status == 2)
        let words = (1...17).map { "w\($0)" }
        for command in ["list", "export"] {
            let long = try rolo.run([command] + words)
            #expect(long.status == 2)
            #expect(long.stderr == "rolo: query: it has 17 different terms; at most 16 are allowed\n")
            #expect(long.stdout.isEmpty)
        }
        #expect(try rolo.run(["list"] + Array(repeating: "rob", count: 40)).status == 0, "repeated words count once")
        let missing = try rolo("show", "zzzz")
        #expect(missing.status == 3)
        #expect(missing.stderr == "rolo: no contact zzzz\n")
        #expect(try rolo("set", "zzzz", "city=x").status == 3)
        #expect(try rolo("import", "/nonexistent.json").status == 3)
        #expect(try rolo("list", "--account", "nope").status == 3)
        let help = try rolo("--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("SUBCOMMANDS:"))
        #expect(try rolo("list", "--help").stdout.contains("--tsv prints one contact per line"))
    }

    /// Every start of rolo (`rolo list` in a script, the TUI) loads only what it needs: the
    /// networking libraries (libcurl and the thirty it brings, Foundation's URLSession) are
    /// loaded by a sync when it sends its first request, and the emulators' HTTP server is in
    /// rolo-emulators. Linked, they cost every start about 8 ms.
    @Test func startingRoloLoadsNoNetworkingLibrary() throws {
        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        ldd.arguments = [Rolo.binary]
        let output = Pipe()
        ldd.standardOutput = output
        try ldd.run()
        let linked = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ldd.waitUntilExit()
        #expect(linked.contains("libsqlite3"), "ldd lists what rolo links:\n\(linked)")
        for library in ["libcurl", "FoundationNetworking", "libssl", "libgnutls"] {
            #expect(!linked.contains(library), "rolo links \(library):\n\(linked)")
        }
    }

    @Test func theScreenNeedsATerminal() throws {
        let rolo = try Rolo()
        let result = try rolo()
        #expect(result.status == 2)
        #expect(result.stderr.contains("needs a terminal"))
    }

    @Test func aBrokenCacheFileGivesOneLineNamingIt() throws {
        let rolo = try Rolo()
        let path = try rolo.file("broken.sqlite", String(repeating: "not a database\n", count: 100))
        let result = try rolo("list", "--db", path)
        #expect(result.status == 1)
        #expect(result.stderr.contains(path))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func theDemoLoadsOnceWithEveryAccount() throws {
        let rolo = try Rolo()
        let first = try rolo("demo")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("loaded 360 demo contacts"))
        #expect(try rolo("demo").stdout.hasPrefix("the demo data is already loaded"))
        let accounts = try #require(try Rolo.json(try rolo("accounts", "--json").stdout) as? [[String: Any]])
        #expect(accounts.map { $0["name"] as? String } == ["local", "dailystory-demo", "ivvy-demo", "notifuse-demo"])
        #expect(accounts.compactMap { $0["contacts"] as? Int }.reduce(0, +) == 360)
        // The providers' own rules hold for their accounts.
        let notifuse = try rolo("add", "--account", "notifuse-demo", "--mobile-phone", "+15550001111")
        #expect(notifuse.status == 2)
        #expect(notifuse.stderr.contains("Notifuse needs email"))
        let ivvy = try rolo("add", "--account", "ivvy-demo", "--email", "x@example.com")
        #expect(ivvy.stderr.contains("iVvy needs first name, last name"))
        let slot = try rolo("field", "add", "loyalty", "--type", "number", "--account", "notifuse-demo")
        #expect(slot.stdout.contains("in custom_number_4"), "\(slot.stdout) \(slot.stderr)")
        let defined = try rolo("set", "rob@example.com", "undefined_key=1")
        #expect(defined.status == 0, "DailyStory takes any key: \(defined.stderr)")
        let ivvyKey = try rolo("add", "--account", "ivvy-demo", "--email", "y@example.com", "--first-name", "Y",
                               "--last-name", "Z", "--field", "made_up=1")
        #expect(ivvyKey.status == 2)
        #expect(ivvyKey.stderr.contains("is not one of the custom fields iVvy defines"))
    }

    @Test func untrustedTextIsMadeSafeInHumanOutput() throws {
        let rolo = try Rolo()
        _ = try rolo("paths")
        let evil = "Evil\u{1B}[2J\u{1B}]0;pwned\u{07}\u{202E}Name"
        try rolo.seed([[.fullName: evil, .email: "evil@example.com", .company: "\u{1B}]52;c;ZXZpbA==\u{07}Clip",
                        .notes: "line one\nline \u{1B}[31mtwo"]])
        // (Exports to a file or a pipe are data and keep every byte; only what is shown is made safe.)
        for arguments in [["list"], ["list", "--tsv"], ["show", "evil@example.com"], ["show", "evil@example.com", "--history"],
                          ["accounts"]] {
            let result = try rolo.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E },
                    "\(arguments) wrote a raw control character")
        }
        #expect(try rolo("list").stdout.contains("Evil␛[2J␛]0;pwned␇�Name"))
        // JSON keeps the data exactly, escaped.
        let json = try #require(try Rolo.json(try rolo("show", "evil@example.com", "--json").stdout) as? [String: Any])
        #expect(json["full_name"] as? String == evil)
        #expect(try rolo("show", "evil@example.com", "--json").stdout.contains("\\u001b[2J"))
    }

    /// On a terminal every line of `rolo list` fits its width: when the email column has
    /// given all it can, the widest of the others give way too (at 80 columns lines were 100
    /// wide and every one wrapped).
    @Test func aListOnATerminalFitsItsWidth() throws {
        let rolo = try Rolo()
        let csv = "first_name,last_name,email,phone,company\n"
            + "Maximiliana,Featherstonehaugh-Worthington,maximiliana.featherstonehaugh@example.org,+15557140059,"
            + "Consolidated Amalgamated Holdings\nBo,Li,bo@example.com,,\n"
        #expect(try rolo("import", try rolo.file("wide.csv", csv)).status == 0)
        for columns in [80, 60] {
            let shown = try Spawned.run("/usr/bin/script", ["-qec", "stty cols \(columns); \(Tmux.quote(Rolo.binary)) list",
                                                            "/dev/null"], environment: rolo.environment, input: nil)
            let lines = String(decoding: shown.stdout, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(shown.status == 0 && lines.count == 3, "\(lines)")
            for line in lines { #expect(line.count <= columns, "\(columns): \(line.count): “\(line)”") }
            #expect(lines.contains { $0.contains("+15557140059") }, "a phone number is not cut while wider columns can give way")
        }
    }

    @Test func tsvToAPipeKeepsTextWholeAndControlsVisible() throws {
        let rolo = try Rolo()
        _ = try rolo("paths")
        // A family emoji (a ZWJ sequence) that the terminal path reduces to its first code point,
        // a combining accent, an escape sequence and a tab inside a value.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"
        try rolo.seed([[.fullName: "Fam \(family) Ze\u{301}", .email: "f@example.com", .company: "A\tB\u{1B}[31mC\\D"]])
        let line = try rolo("list", "--tsv").stdout
        let fields = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.count == 6, "\(fields)")
        #expect(fields[1] == "Fam \(family) Ze\u{301}", "a pipe gets the name whole")
        #expect(fields[4] == "A\\tB␛[31mC\\\\D")
    }

    @Test func controlCharactersAreRefusedWhereTheyAreTyped() throws {
        let rolo = try Rolo()
        let result = try rolo("add", "--email", "t@example.com", "--field", "company=Tab\there")
        #expect(result.status == 2)
        #expect(result.stderr.contains("company: contains a control character (U+0009)"))
        let notes = try rolo("add", "--email", "n@example.com", "--field", "notes=two\nlines", "--field", "full_name=Back\\slash")
        #expect(notes.status == 0, "\(notes.stderr)")
        let line = try rolo("list", "--tsv").stdout
        #expect(line.split(separator: "\n").count == 1)
        #expect(line.hasSuffix("\tBack\\\\slash\tn@example.com\t\t\tlocal\n") || line.contains("Back\\\\slash"))
    }

    /// Typed custom values follow the standard fields' rules: no control characters, apart
    /// from tabs and line breaks in free text (as in notes).
    @Test func customValuesRefuseControlCharactersAsStandardFieldsDo() throws {
        let rolo = try Rolo()
        let osc = try rolo("add", "--email", "o@example.com", "--field", "plan=gold\u{1B}]0;pwned\u{07}")
        #expect(osc.status == 2)
        #expect(osc.stderr == "rolo: custom.plan: contains a control character (U+001B); type it without one\n", "\(osc.stderr)")
        let c1 = try rolo("add", "--email", "c@example.com", "--field", "code=a\u{9B}31mb")
        #expect(c1.status == 2)
        #expect(c1.stderr.contains("custom.code: contains a control character (U+009B)"))
        let json = try rolo("add", "--email", "j@example.com", "--field", #"prefs:json={"a":"x\u0007"}"#)
        #expect(json.status == 2)
        #expect(json.stderr.contains("custom.prefs: contains a control character (U+0007)"))
        #expect(try rolo("list", "--tsv").stdout.isEmpty, "nothing was written")

        let layout = try rolo("add", "--email", "t@example.com", "--field", "memo=two\nlines\tand a tab")
        #expect(layout.status == 0, "\(layout.stderr)")
        let id = layout.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let set = try rolo("set", id, "memo=bell\u{07}")
        #expect(set.status == 2)
        #expect(set.stderr.contains("custom.memo: contains a control character (U+0007)"))
    }

    /// A misspelt field is a usage error naming it, not a search or a clear that does nothing.
    @Test func anUnknownFieldIsAUsageErrorNamingIt() throws {
        let rolo = try Rolo()
        let id = try rolo("add", "--email", "a@example.com", "--field", "plan=gold", "--field", "born=1985-03-17")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let clear = try rolo("set", id, "--clear", "no_such_field")
        #expect(clear.status == 2)
        #expect(clear.stderr == "rolo: no_such_field: is neither a standard field nor a custom field of this contact "
            + "(its custom fields: born, plan)\n", "\(clear.stderr)")
        for arguments in [["list", "no_such_field:x"], ["export", "no_such_field:x"], ["list", "plan:gold", "nope:x"]] {
            let result = try rolo.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("rolo: query: \(arguments.last!.split(separator: ":")[0]) is not a field"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(try rolo("list", "plan:gold", "--tsv").stdout.contains("a@example.com"), "a custom field that exists")
        #expect(try rolo("list", "email:a@example", "--tsv").stdout.contains("a@example.com"), "a standard field")
        #expect(try rolo("list", #""no_such_field:x""#).status == 0, "quoted, it is text to search for")
    }

    /// `key:type=value` does not turn a custom field that holds a value into another type.
    /// A slip in a field's name is not a new custom field sent to the provider: `emial=` asks
    /// whether email was meant; `custom.emial=` (or a key the contact has) is taken as written.
    @Test func aMisspeltFieldIsNotANewCustomField() throws {
        let rolo = try Rolo()
        let id = try rolo("add", "--email", "ann@example.com").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let slip = try rolo("set", id, "emial=ann@example.org")
        #expect(slip.status == 2)
        #expect(slip.stderr == "rolo: emial: is not a field; did you mean email? (custom.emial=… adds a custom field of that name)\n",
                "\(slip.stderr)")
        #expect(try rolo("set", id, "compnay=Acme", "fist_name=Ann").status == 2)
        #expect(try rolo("add", "--email", "bo@example.com", "--field", "phnoe=+15557140059").status == 2)
        #expect(!(try rolo("show", id).stdout.contains("emial")), "nothing written")
        #expect(try rolo("set", id, "custom.emial=x").status == 0, "written out, it is a custom field")
        #expect(try rolo("set", id, "emial=y").status == 0, "one the contact has is taken as it is")
        #expect(try rolo("set", id, "vip:bool=true", "plan=gold").status == 0, "short keys are never slips")
    }

    @Test func aCustomFieldKeepsItsTypeUnlessClearedFirst() throws {
        let rolo = try Rolo()
        let id = try rolo("add", "--email", "a@example.com", "--field", "born=1985-03-17")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let retype = try rolo("set", id, "born:number=5")
        #expect(retype.status == 2)
        #expect(retype.stderr == "rolo: custom.born: holds a date; to store a number instead, clear it first (--clear born), then set it\n",
                "\(retype.stderr)")
        #expect(try rolo("show", id).stdout.contains("born (date)  1985-03-17"))
        #expect(try rolo("set", id, "--clear", "born").status == 0)
        #expect(try rolo("set", id, "born:number=5").status == 0)
        #expect(try rolo("show", id).stdout.contains("born (number)  5"))
    }

    /// The README's example config is one rolo takes: a reader copies it. (Its `tier` line, a
    /// select over Notifuse's text slot, was refused.)
    @Test func theReadmesExampleConfigIsAccepted() throws {
        let rolo = try Rolo()
        let readme = try String(contentsOf: Rolo.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```toml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let full = try #require(blocks.first { $0.contains("provider = \"notifuse\"") && $0.contains("[accounts.events]") })
        let config = rolo.home.appendingPathComponent("readme.toml").path
        #expect(FileManager.default.createFile(atPath: config, contents: Data(full.utf8), attributes: [.posixPermissions: 0o600]))
        let accounts = try rolo("accounts", "--config", config)
        #expect(accounts.status == 0, "\(accounts.stderr)")
        for name in ["support", "marketing", "events"] { #expect(accounts.stdout.contains(name)) }
    }

    /// `rolo help import` says what the README says, and no help breaks a line early (the
    /// text used to keep the source's line breaks, then wrap again: "nothing is⏎imported").
    @Test func helpTextMatchesTheReadmeAndWrapsAsParagraphs() throws {
        let rolo = try Rolo()
        let readme = try String(contentsOf: Rolo.repository.appendingPathComponent("README.md"), encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let help = try rolo("help", "import").stdout
        #expect(help.contains("vCard (2.1, 3.0 or 4.0)"))
        #expect(readme.contains("2.1, 3.0 and 4.0 on import"))
        #expect(help.contains("--skip-invalid imports") && readme.contains("`--skip-invalid`, which imports the valid records"))
        for command in ["list", "show", "add", "set", "delete", "undo", "import", "export", "accounts", "demo", "paths", "open"] {
            let text = try rolo("help", command).stdout
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("USAGE:") }
            for (line, next) in zip(lines, lines.dropFirst()) where !line.isEmpty && !next.isEmpty {
                let word = next.split(separator: " ").first.map(String.init) ?? ""
                // ArgumentParser fills lines to 79 columns.
                #expect(line.count + 1 + word.count >= 80, "rolo help \(command): “\(line)” breaks before “\(word)”")
            }
        }
    }

    @Test func aNewEmailForAContactNotifuseKeysByItIsConfirmedFirst() throws {
        let rolo = try Rolo()
        _ = try rolo("demo")
        // A Notifuse contact that is at Notifuse: the email is its key there.
        let linked = try #require(try rolo("list", "--account", "notifuse-demo", "--tsv", "--limit", "1").stdout.split(separator: "\t").first)
        let refused = try rolo("set", String(linked), "email=moved@example.com")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("Notifuse identifies contacts by email: the next sync deletes"), "\(refused.stderr)")
        #expect(refused.stderr.contains("run again with --yes"))
        #expect(try rolo("show", "moved@example.com").status == 3, "nothing changed")
        let confirmed = try rolo("set", String(linked), "email=moved@example.com", "--yes")
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(try rolo("show", "moved@example.com").status == 0)
        // Elsewhere an email is a field like any other.
        let added = try rolo("add", "--email", "plain@example.com").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try rolo("set", added, "email=plainer@example.com").status == 0)
        #expect(try rolo("set", "rob@example.com", "email=rob.h@example.com").status == 0, "DailyStory keeps its dsId")
    }

    @Test func pathsFollowTheEnvironment() throws {
        let rolo = try Rolo()
        let result = try rolo("paths")
        #expect(result.stdout.contains("cache   \(rolo.home.path)/data/rolo/rolo.sqlite"))
        #expect(result.stdout.contains("config  \(rolo.home.path)/config/rolo/config.toml  (not created yet)"))
        // The config file rolo would read, wherever it was named.
        #expect(try rolo("paths", environment: ["ROLO_CONFIG": "/tmp/env.toml"]).stdout.contains("config  /tmp/env.toml"))
        #expect(try rolo("paths", "--config", "/tmp/flag.toml").stdout.contains("config  /tmp/flag.toml"))
        #expect(result.stdout.contains("log     \(rolo.home.path)/state/rolo/rolo.log"))
        let moved = try rolo("paths", environment: ["ROLO_DB": "/tmp/elsewhere.sqlite"])
        #expect(moved.stdout.contains("cache   /tmp/elsewhere.sqlite"))
        #expect(try rolo("paths", "--db", "/tmp/flag.sqlite").stdout.contains("cache   /tmp/flag.sqlite"))
    }

    /// A config named by hand that is not there says so, rather than "no account can sync:
    /// add an account to nonexist.toml".
    @Test func aConfigNamedByHandThatIsNotThereSaysSo() throws {
        let rolo = try Rolo()
        let flag = try rolo("sync", "--config", "nonexist.toml")
        #expect(flag.status == 1 && flag.stderr == "rolo: config nonexist.toml: no such file\n", "\(flag.stderr)")
        let variable = try rolo("accounts", environment: ["ROLO_CONFIG": "/tmp/no-such-rolo-config.toml"])
        #expect(variable.status == 1)
        #expect(variable.stderr == "rolo: config /tmp/no-such-rolo-config.toml: no such file (named by $ROLO_CONFIG)\n", "\(variable.stderr)")
        #expect(try rolo("accounts").status == 0, "the default config may well not exist yet")
    }

    @Test func everyProblemIsALineOfItsOwn() throws {
        let rolo = try Rolo()
        let id = try rolo("add", "--email", "a@example.com").stdout.trimmed
        let result = try rolo("set", id, "timezone=bad", "language=xx-!!")
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("rolo: ") })
        #expect(lines.first?.hasPrefix("rolo: timezone: ") == true)
        #expect(!result.stderr.contains("␊"))
    }

    /// Output that cannot be written ends rolo with a line and status 1, never a crash.
    @Test func aFullDiskOrAClosedPipeOnStdoutIsNotACrash() throws {
        let rolo = try Rolo()
        #expect(try rolo("add", "--email", "a@example.com").status == 0)
        for (redirect, message) in [("> /dev/full", "rolo: cannot write to standard output: No space left on device\n"),
                                    ("| true", "")] {
            // SIGPIPE ignored, as some supervisors and languages leave it: the write fails with EPIPE.
            let outcome = try Spawned.run("/bin/sh", ["-c", "trap '' PIPE; for i in 1 2 3 4 5 6 7 8; do \"$0\" list --tsv; done \(redirect); "
                + "\"$0\" list --tsv \(redirect)", Rolo.binary], environment: rolo.environment, input: Data())
            let stderr = String(decoding: outcome.stderr, as: UTF8.self)
            #expect(!stderr.contains("Fatal error") && !stderr.contains("crashed"), "\(redirect): \(stderr)")
            if redirect.hasPrefix(">") {
                #expect(outcome.status == 1)
                #expect(stderr.hasSuffix(message))
            }
        }
    }

    @Test func optionsThatCannotGoTogetherAreAUsageError() throws {
        let rolo = try Rolo()
        for arguments in [["accounts", "--json", "--tsv"], ["list", "--json", "--tsv"], ["show", "x", "--json", "--history"],
                          ["list", "--db", ""]] {
            let result = try rolo.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)")
        }
    }
}
