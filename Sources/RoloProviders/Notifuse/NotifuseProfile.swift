import RoloCore

/// What Notifuse is, can do and requires (PROVIDERS.md §2).
public enum NotifuseProfile {
    /// Five slots of each type per contact (§2.7); string slots hold 255 characters (§2.3).
    public static let slots: [FieldSlot] =
        [("string", FieldType.text, 255 as Int?), ("number", .number, nil), ("datetime", .datetime, nil), ("json", .json, nil)]
            .flatMap { kind, type, length in (1...5).map { FieldSlot(id: "custom_\(kind)_\($0)", type: type, maxLength: length) } }

    public static let profile = ProviderProfile(
        kind: .notifuse, displayName: "Notifuse",
        capabilities: ProviderCapabilities(
            listing: .fullScan, listingShowsDeletes: true, delete: .hard, identity: .email, emailForm: .lowercasedAndTrimmed,
            // contacts.import takes any number; 500 is the server's own chunk (§2.4).
            batchSize: 500, definesFields: false,
            // A push carries 500 changes in one request and the listing is one cursor read in
            // order: only the few contacts a listing missed are asked for one by one.
            requestsInFlight: 2),
        rules: ProviderRules(
            providerName: "Notifuse", requiredForCreate: [[.email]],
            storedFields: [.firstName, .lastName, .fullName, .jobTitle, .email, .phone, .addressLine1,
                           .addressLine2, .region, .postcode, .country, .timezone, .language],
            customFields: .fixedSlots(slots),
            customKeyHint: "Notifuse has 5 text, 5 number, 5 date-time and 5 JSON slots; the new field takes a free slot of its type."),
        limitations: [
            "Notifuse cannot list what changed since the last sync, so every sync reads the whole workspace.",
            "The email is Notifuse's key: changing it deletes the contact there and creates it anew (its history and list memberships stay with the old one).",
            "A contact deleted in Notifuse is gone for good; rolo finds out when a complete listing no longer has it.",
        ],
        // A workspace of an instance; batch_updates sends runs of edits through contacts.import (§4.11).
        configSettings: ["workspace_id", "batch_updates"])
}
