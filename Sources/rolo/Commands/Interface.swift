import ArgumentParser
import Foundation
import RoloCore
import RoloSync
import RoloTerminal
import RoloViewModels

/// Options of the terminal UI (`rolo` without a subcommand).
struct InterfaceOptions: ParsableArguments {
    @Flag(name: .customLong("read-only"), help: "Browse only: editing keys say that editing is off.")
    var readOnly = false
    @Flag(name: .customLong("no-color"), help: "No colours (also when NO_COLOR is set).")
    var noColor = false
    @Option(help: "Open on this account (default: all accounts when there are several).")
    var account: String?
}

/// `rolo` and `rolo open`: the terminal UI.
struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open the terminal UI (what `rolo` does without a subcommand).",
        discussion: "Exit status: 0 after q, 129 after a hang-up (SIGHUP), 143 when terminated. Unsaved edits stay as drafts."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var interface: InterfaceOptions

    func run() throws {
        try openInterface(global: global, options: interface)
    }
}

/// Opens the TUI and exits with its status (0 quit, 129 hang-up, 143 terminated).
func openInterface(global: GlobalOptions, options: InterfaceOptions) throws {
    // Before curses: a pipe or a redirect gets a clear message instead of a hung screen.
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
        throw RoloError.invalid(field: "terminal", "rolo's screen needs a terminal; in scripts use the subcommands (see rolo --help)")
    }
    let context = try Context.open(global)
    // Sync works from the same config as `rolo sync`; without one, each account says what it
    // lacks when `s` is pressed.
    let autoSync = (context.config?.accounts ?? []).map {
        AutoSyncSetting(account: $0.name, onStart: $0.syncOnStart, interval: $0.syncInterval)
    }
    let status: Int32
    do {
        status = try TerminalApp.run(
            services: AppServices(context.services, sync: context.syncService()),
            options: AppOptions(readOnly: options.readOnly, readOnlyReason: context.services.cache.readOnlyReason,
                                account: options.account, autoSync: autoSync),
            backendOptions: BackendOptions(colorMode: options.noColor ? .none : .auto))
    } catch let error as TerminalError {
        // A terminal rolo cannot drive (TERM=dumb, unknown to terminfo): said as every other
        // failure is, `rolo: …`, not as a usage error.
        throw RoloError.failed(error.description)
    }
    if status != 0 { throw ExitCode(status) }
}
