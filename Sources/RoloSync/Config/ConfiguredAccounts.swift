import Foundation
import RoloCore
import RoloStore

/// Brings the cache's accounts in line with the config: an account the config names is
/// created in the cache (with its fields) the first time, and its settings and fields follow
/// the config afterwards. Nothing is written when they already agree, so opening the cache
/// stays a read.
public enum ConfiguredAccounts {
    public static func apply(_ config: RoloConfig, to cache: LocalCache) throws {
        for entry in config.accounts {
            var settings = entry.settings
            settings["base_url"] = entry.baseURL.absoluteString
            if let existing = try cache.account(named: entry.name) {
                guard existing.provider == entry.provider else {
                    throw RoloError.failed("config \(config.path): accounts.\(entry.name) is \(entry.provider.rawValue), but the cache's "
                        + "account \(existing.name) is \(existing.provider.rawValue); rename one of them")
                }
                if existing.settings != settings { try cache.setAccountSettings(settings, accountID: existing.id) }
                let current = try cache.fieldDefinitions(accountID: existing.id)
                let merged = merge(current, with: entry.fields)
                if merged != current { try cache.setFieldDefinitions(merged, accountID: existing.id) }
            } else {
                try cache.createAccount(name: entry.name, provider: entry.provider, settings: settings, definitions: entry.fields)
            }
        }
    }

    /// The config's fields over the cache's: same key, the config wins; the cache's other
    /// fields (added with `rolo field add`) stay, unless the config gave their slot to another.
    static func merge(_ current: [FieldDefinition], with configured: [FieldDefinition]) -> [FieldDefinition] {
        let keys = Set(configured.map(\.key))
        let slots = Set(configured.compactMap(\.providerRef))
        let kept = current.filter { !keys.contains($0.key) && !($0.providerRef.map(slots.contains) ?? false) }
        return configured + kept
    }
}
