import Foundation
import RoloCore
import RoloSandboxWire

/// `rolo sandbox`'s emulators, running in the helper program `rolo-emulators` (see
/// `SandboxWire` for why they are not in this binary).
///
/// The helper's stdin stays open for as long as this process lives: when rolo ends, in
/// whatever way (Ctrl-C, SIGTERM, SIGKILL, a closed terminal), the helper reads the end of its
/// input and stops its servers.
struct EmulatorHelper {
    let process: Process
    let input: FileHandle
    let ready: SandboxWire.Ready

    /// Where the helper is: beside this binary (a build folder), else in `../libexec/rolo`
    /// (an install).
    static func location() throws -> String {
        let binary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [binary.appendingPathComponent("rolo-emulators").path,
                          binary.deletingLastPathComponent().appendingPathComponent("libexec/rolo/rolo-emulators").path]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RoloError.notFound("rolo sandbox runs its emulators in rolo-emulators, which is not installed (looked for "
                + candidates.joined(separator: " and ") + "); make build or make install puts it there")
        }
        return found
    }

    /// Starts the helper and waits until its servers listen.
    static func start(_ request: SandboxWire.Request) throws -> EmulatorHelper {
        let path = try location()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw RoloError.failed("cannot start \(path): \(error.localizedDescription)") }
        let line: Data
        do {
            try input.fileHandleForWriting.write(contentsOf: SandboxWire.line(request))
            line = readLine(from: output.fileHandleForReading)
        } catch {
            line = Data()
        }
        guard let ready = try? SandboxWire.read(SandboxWire.Ready.self, from: line) else {
            process.terminate()
            process.waitUntilExit()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw RoloError.failed("the emulators did not start" + (said.isEmpty ? "" : ": " + TerminalText.sanitize(said)))
        }
        // What the helper says from here on reaches the user, made safe, and never fills the
        // pipe (a helper blocked writing to a full stderr would stop answering).
        let said = errors.fileHandleForReading
        let relay = Thread {
            while let chunk = try? said.read(upToCount: 4096), !chunk.isEmpty {
                Output.error(String(decoding: chunk, as: UTF8.self).trimmingCharacters(in: .newlines))
            }
        }
        relay.name = "rolo sandbox: emulators' messages"
        relay.start()
        return EmulatorHelper(process: process, input: input.fileHandleForWriting, ready: ready)
    }

    /// One line (without its newline), or what came before the end of the output.
    private static func readLine(from handle: FileHandle) -> Data {
        var line = Data()
        while let byte = try? handle.read(upToCount: 1), let first = byte.first {
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        return line
    }

    /// Blocks until SIGINT or SIGTERM (then stops the helper and ends this process, status 0),
    /// or until the helper ends by itself (status 1, with what it said).
    func serveUntilSignalled() -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "rolo.sandbox.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                try? input.close()
                process.terminate()
                process.waitUntilExit()
                exit(0)
            }
            source.resume()
            sources.append(source)
        }
        process.terminationHandler = { ended in
            queue.async {
                Output.error("rolo sandbox: the emulators stopped (status \(ended.terminationStatus))")
                exit(1)
            }
        }
        withExtendedLifetime(sources) { dispatchMain() }
    }
}
