import Foundation
import RoloCore
import RoloProviders
import RoloSync

/// The composition root's part of sync: builds each account's provider client from the
/// config and the adapters, over a live HTTP transport.
struct ProviderConnector: ProviderConnecting {
    let config: RoloConfig?
    let configPath: String
    let environment: [String: String]
    let transport: any HTTPTransport

    init(config: RoloConfig?, configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
         transport: any HTTPTransport = CurlTransport(timeout: 30, userAgent: "rolo/\(Rolo.version)")) {
        self.config = config
        self.configPath = configPath
        self.environment = environment
        self.transport = transport
    }

    func whyNotSyncable(_ account: Account) -> String? {
        guard let entry = config?.account(named: account.name) else {
            return "\(account.name) has no [accounts.\(account.name)] in \(configPath); add it to sync (see rolo help sync)"
        }
        for (role, source) in entry.secrets.sorted(by: { $0.key < $1.key }) {
            do { _ = try source.read(environment: environment) } catch {
                return "\(account.name): its \(role) cannot be read: \(error)"
            }
        }
        do {
            _ = try provider(for: account, definitions: [])
        } catch {
            return "\(account.name): \(error.message)"
        }
        return nil
    }

    func isConfigured(_ account: Account) -> Bool { config?.account(named: account.name) != nil }

    func provider(for account: Account, definitions: [FieldDefinition]) throws(ProviderError) -> any ContactProvider {
        guard let entry = config?.account(named: account.name) else {
            throw .configuration("\(account.name) has no [accounts.\(account.name)] in \(configPath)")
        }
        func secret(_ role: String) throws(ProviderError) -> String {
            guard let source = entry.secrets[role] else {
                throw .configuration("accounts.\(entry.name) needs \(role)_env or \(role)_file in \(configPath)")
            }
            do { return try source.read(environment: environment).reveal() } catch {
                throw .configuration("accounts.\(entry.name): \(error)")
            }
        }
        func setting(_ name: String) throws(ProviderError) -> String {
            guard let value = entry.settings[name], !value.isEmpty else {
                throw .configuration("accounts.\(entry.name) needs \(name) in \(configPath)")
            }
            return value
        }
        switch entry.provider {
        case .notifuse:
            return NotifuseClient(baseURL: entry.baseURL, workspaceID: try setting("workspace_id"), token: try secret("token"),
                                  definitions: definitions, transport: transport,
                                  batchUpdates: entry.settings["batch_updates"] == "true")
        case .dailystory:
            return DailyStoryClient(baseURL: entry.baseURL, token: try secret("token"), definitions: definitions, transport: transport)
        case .ivvy:
            // The definitions rolo holds were read from iVvy; an account never synced reads them first.
            return IvvyClient(baseURL: entry.baseURL, key: try secret("key"), secret: try secret("secret"), transport: transport,
                              definitions: definitions.isEmpty ? nil : definitions)
        default:
            throw .configuration("\(account.profile.displayName) is not a provider this rolo syncs with")
        }
    }
}
