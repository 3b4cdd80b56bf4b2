import Foundation

/// Python's `vobject` (PyPI, 0.9.9), a vCard parser that shares no code with rolo, reading
/// what rolo writes: it checks exports against a reader other tools use, not against rolo's
/// own. Started with `posix_spawn` and files rather than Foundation's `Process` and pipes
/// (see Tests/RoloCLITests/Spawn.swift for why).
///
/// Tests that need it are skipped, saying so, where it is not installed
/// (`python3 -m pip install --user vobject==0.9.9`).
enum IndependentVCardParser {
    /// One content line as vobject understood it.
    struct Line: Decodable {
        let group: String?
        let name: String
        /// Parameter names upper case, as vobject keeps them.
        let params: [String: [String]]
        /// Parameters written without a name (vCard 2.1's `TEL;WORK:`).
        let singletons: [String]
        /// The decoded value: text, the parts of N and ADR, or `{"base64": …}` for binary data.
        let value: Value
        /// The value as written, before vobject decoded it. vobject has no vCard 4.0 rules: it
        /// reads a 4.0 card with 3.0's, where `PHOTO:data:image/jpeg;base64,…` is text whose
        /// comma separates values, though RFC 6350 writes that URI with a bare comma itself.
        let raw: String
    }

    enum Value: Decodable, Equatable {
        case text(String)
        case parts([String])
        case binary(base64: String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text); return }
            if let parts = try? container.decode([String].self) { self = .parts(parts); return }
            self = .binary(base64: try container.decode([String: String].self)["base64"] ?? "")
        }

        var text: String? { if case .text(let text) = self { text } else { nil } }
    }

    struct Card: Decodable {
        let version: String
        let lines: [Line]

        func lines(_ name: String) -> [Line] { lines.filter { $0.name == name } }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let script = """
        import base64, io, json, sys
        import vobject
        def value(v):
            if isinstance(v, (bytes, bytearray)):
                return {"base64": base64.b64encode(v).decode("ascii")}
            if isinstance(v, vobject.vcard.Name):
                return [flat(v.family), flat(v.given), flat(v.additional), flat(v.prefix), flat(v.suffix)]
            if isinstance(v, vobject.vcard.Address):
                return [flat(v.box), flat(v.extended), flat(v.street), flat(v.city), flat(v.region), flat(v.code), flat(v.country)]
            if isinstance(v, list):
                return [flat(x) for x in v]
            return str(v)
        def flat(v):
            return ",".join(v) if isinstance(v, list) else str(v)
        cards = []
        with open(sys.argv[1], encoding="utf-8", newline="") as f:
            text = f.read()
        # The values as written, per card and property name in file order, from vobject's line parser.
        raws, current = [], None
        for logical, _ in vobject.base.getLogicalLines(io.StringIO(text)):
            name, params, written, group = vobject.base.parseLine(logical)
            if name.upper() == "BEGIN":
                current = {}
            elif name.upper() == "END":
                raws.append(current)
            else:
                current.setdefault(name.upper(), []).append(written)
        for card, raw in zip(vobject.readComponents(text, validate=False), raws):
            lines, seen = [], {}
            for line in card.lines():
                index = seen.get(line.name, 0)
                seen[line.name] = index + 1
                lines.append({"group": line.group, "name": line.name, "params": line.params,
                              "singletons": line.singletonparams, "value": value(line.value), "raw": raw[line.name][index]})
            cards.append({"version": card.version.value, "lines": lines})
        json.dump(cards, sys.stdout)
        """

    /// True when python3 can import vobject.
    static let isAvailable: Bool = (try? run(["-c", "import vobject"]).status) == 0

    /// The cards vobject reads in `text`; throws with its message when it cannot.
    static func parse(_ text: String) throws -> [Card] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-vobject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("cards.vcf")
        try Data(text.utf8).write(to: input)
        let result = try run(["-c", script, input.path], in: folder)
        guard result.status == 0 else { throw Failure(description: "vobject could not read the export: \(result.stderr)") }
        return try JSONDecoder().decode([Card].self, from: Data(result.stdout.utf8))
    }

    /// Runs python3 with `arguments`, its output in files.
    static func run(_ arguments: [String], in folder: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let place = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("rolo-vobject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: place, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(at: place) } }
        let out = place.appendingPathComponent("stdout").path, err = place.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ["/usr/bin/env", "python3"] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start python3: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return (exited, stdout, stderr)
    }
}
