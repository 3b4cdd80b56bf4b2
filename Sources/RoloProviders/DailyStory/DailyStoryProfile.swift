import RoloCore

/// What DailyStory is, can do and requires (PROVIDERS.md §1).
public enum DailyStoryProfile {
    public static let profile = ProviderProfile(
        kind: .dailystory, displayName: "DailyStory",
        capabilities: ProviderCapabilities(
            listing: .none, listingShowsDeletes: false, delete: .soft, identity: .providerID,
            // Refreshes and pushes are one contact per request: a few at once hide the
            // network's latency. Its rate limits are not published (§1.2); a 429 holds them all.
            batchSize: 1, definesFields: false, requestsInFlight: 4),
        rules: ProviderRules(
            providerName: "DailyStory", requiredForCreate: [[.email, .mobilePhone]],
            storedFields: [.salutation, .firstName, .lastName, .jobTitle, .company, .email, .phone,
                           .mobilePhone, .addressLine1, .city, .region, .postcode, .country,
                           .website, .status, .emailOptOut, .smsOptOut, .phoneOptOut],
            customFields: .anyKeyAsText,
            customKeyHint: "Any key; DailyStory stores values as text. Use lowercase letters, digits and _ so {{profile.key}} works."),
        limitations: [
            "DailyStory cannot list contacts: a sync sends rolo's edits and refreshes the contacts rolo already knows, but never discovers contacts created in DailyStory.",
            "To bring those in, import a CSV export from DailyStory, or fetch one by email or mobile.",
            "Deleting moves the contact to DailyStory's trash (status Deleted); it can be restored there.",
        ])
}
