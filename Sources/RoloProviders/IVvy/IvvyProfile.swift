import RoloCore

/// What iVvy is, can do and requires (PROVIDERS.md §3).
public enum IvvyProfile {
    public static let profile = ProviderProfile(
        kind: .ivvy, displayName: "iVvy",
        capabilities: ProviderCapabilities(
            listing: .modifiedSince, listingShowsDeletes: false, delete: .unsupported, identity: .providerID,
            // Pushes are one contact per request; 429 exists with no published numbers (§3.7),
            // so a few at once, all held by a 429.
            batchSize: 1, definesFields: true, requestsInFlight: 4),
        rules: ProviderRules(
            providerName: "iVvy", requiredForCreate: [[.firstName], [.lastName], [.email]],
            storedFields: [.firstName, .lastName, .email, .phone, .status, .emailOptOut, .smsOptOut],
            customFields: .definedByProvider,
            customKeyHint: "iVvy defines its custom fields itself; only those can be filled in.",
            // Registering can be read but not set (§3.9): said when it is set, not at the sync.
            valueChoices: [.status: ValueChoices(
                what: "an iVvy email status",
                settable: IvvyMapping.settableEmailStatuses.sorted().map { IvvyMapping.emailStatuses[$0]! },
                readOnly: IvvyMapping.emailStatuses.keys.filter { !IvvyMapping.settableEmailStatuses.contains($0) }.sorted()
                    .map { IvvyMapping.emailStatuses[$0]! },
                aliases: Dictionary(uniqueKeysWithValues: IvvyMapping.emailStatuses.map { (String($0.key), $0.value) }))]),
        limitations: [
            "iVvy cannot report deleted contacts: a sync reads only what changed, and finds deletes only in a full listing you ask for.",
            "iVvy's API cannot delete contacts: a contact deleted in rolo is kept in iVvy and marked deleted only here.",
        ],
        // Every request is signed with the secret for the key it names (§3.1): either may be wrong.
        credentials: "API key and secret", configSecrets: ["key", "secret"])
}
