import ArgumentParser
import Foundation
import RoloCore

/// `rolo`: without a subcommand it opens the terminal UI; every action the UI offers is also
/// a subcommand for scripts.
struct Rolo: ParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "rolo",
        abstract: "Find, read and correct DailyStory, Notifuse and iVvy contacts from a terminal.",
        discussion: """
            Without a subcommand, rolo opens its terminal UI on the local cache.

            Exit codes: 0 success, 1 failure, 2 usage or validation error (nothing was written), 3 not found.
            """,
        version: Rolo.version,
        subcommands: [
            Open.self, ListCommand.self, Show.self, Add.self, SetFields.self, Delete.self, Undo.self,
            Import.self, Export.self, Accounts.self, Fields.self, SyncCommand.self, OutboxCommand.self,
            ConflictsCommand.self, Resolve.self, Retry.self, Fetch.self, Sandbox.self, Demo.self, Paths.self,
        ],
        defaultSubcommand: Open.self
    )
}

/// Runs a command and turns what went wrong into a message on stderr and an exit code:
/// 0 success, 1 failure, 2 usage or validation error, 3 not found.
@main
enum RoloMain {
    static func main() {
        PeakMemoryReport.installIfAsked()
        // A first word that is no command would otherwise reach the TUI's `open` and be
        // "Unexpected argument" followed by open's usage.
        if let word = unknownCommand(in: Array(CommandLine.arguments.dropFirst())) {
            Output.error("rolo: “\(TerminalText.sanitize(word))” is not a command; rolo help lists them")
            exit(2)
        }
        do {
            var command = try Rolo.parseAsRoot()
            try command.run()
            exit(0)
        } catch let error as RoloError {
            // One line per problem, each sanitised on its own (a newline inside would be shown as ␊).
            for line in error.description.split(separator: "\n", omittingEmptySubsequences: false) {
                Output.error("rolo: " + line)
            }
            exit(exitCode(for: error))
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            // ArgumentParser's own outcomes: help and --version (status 0), usage errors (2).
            let message = Rolo.fullMessage(for: error)
            if Rolo.exitCode(for: error) == .success {
                if !message.isEmpty { Output.raw(message.hasSuffix("\n") ? message : message + "\n") }
                exit(0)
            }
            Output.write(Data((TerminalText.sanitizeKeepingLayout(message) + "\n").utf8), to: STDERR_FILENO)
            exit(2)
        }
    }

    /// The first argument when it is a word no command has (not an option, not `help`).
    static func unknownCommand(in arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !first.isEmpty else { return nil }
        let names = Set(Rolo.configuration.subcommands.map { $0._commandName } + ["help"])
        return names.contains(first) ? nil : first
    }

    static func exitCode(for error: RoloError) -> Int32 {
        switch error {
        case .invalid: 2
        case .notFound: 3
        case .cache, .busy, .failed: 1
        }
    }
}

/// With `ROLO_PEAK_RSS_FILE=path`, rolo writes its peak resident memory (VmHWM, in KiB) to
/// that file when it exits — what `make bench` reports for each command. A parent cannot
/// measure it: a child's rusage counts the memory of the process it was spawned from.
enum PeakMemoryReport {
    static func installIfAsked() {
        guard let path = ProcessInfo.processInfo.environment["ROLO_PEAK_RSS_FILE"], !path.isEmpty else { return }
        atexit {
            guard let path = ProcessInfo.processInfo.environment["ROLO_PEAK_RSS_FILE"],
                  let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                  let kibibytes = line.split(separator: " ").dropFirst().first else { return }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { return }
            _ = fchmod(descriptor, 0o600)
            let text = String(kibibytes) + "\n"
            _ = text.withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
        }
    }
}
