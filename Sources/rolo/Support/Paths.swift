import Foundation

/// Where rolo keeps things, after the XDG Base Directory conventions. Every path can be
/// moved by an environment variable, and the cache also by `--db`.
struct RoloPaths {
    /// `$ROLO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/rolo`, else `~/.config/rolo`.
    let configDirectory: String
    /// `--db`, else `$ROLO_DB`, else `$XDG_DATA_HOME/rolo/rolo.sqlite` (`~/.local/share/...`).
    /// The cache holds edits not yet sent, so it is data, not something to delete lightly.
    let cache: String
    /// `$ROLO_LOG`, else `$XDG_STATE_HOME/rolo/rolo.log` (`~/.local/state/...`).
    let log: String
    /// `--config`, else `$ROLO_CONFIG`, else `config.toml` in the config directory.
    let configFile: String
    /// What named `configFile` by hand (`--config`, `$ROLO_CONFIG`); nil for the default one,
    /// which may well not exist yet.
    let configNamedBy: String?

    init(database: String?, config: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        func base(_ variable: String, _ fallback: String) -> String {
            // The XDG spec says relative values are invalid and must be ignored.
            if let value = environment[variable], value.hasPrefix("/") { return value }
            return home + "/" + fallback
        }
        configDirectory = environment["ROLO_CONFIG_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? base("XDG_CONFIG_HOME", ".config") + "/rolo"
        cache = database ?? environment["ROLO_DB"].flatMap { $0.isEmpty ? nil : $0 }
            ?? base("XDG_DATA_HOME", ".local/share") + "/rolo/rolo.sqlite"
        log = environment["ROLO_LOG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? base("XDG_STATE_HOME", ".local/state") + "/rolo/rolo.log"
        let fromEnvironment = environment["ROLO_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        configFile = config ?? fromEnvironment ?? configDirectory + "/config.toml"
        configNamedBy = config != nil ? "--config" : fromEnvironment != nil ? "$ROLO_CONFIG" : nil
    }

    /// Where the demo data is: `$ROLO_DEMO_DIR`, else `share/rolo/demo` next to an installed
    /// binary, else `assets/demo` of the source tree the binary was built in.
    static func demoDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["ROLO_DEMO_DIR"], !explicit.isEmpty { return explicit }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            for candidate in ["share/rolo/demo", "assets/demo"] {
                let path = directory.appendingPathComponent(candidate).path
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
