import RoloCore

extension NotifuseClient {
    /// A contact as Notifuse's API takes it — every field Notifuse stores that has a value,
    /// and what rolo kept of it unmodelled (unnamed slots, `created_at`) — for seeding a
    /// test server (`rolo sandbox`, the benchmarks).
    public static func wireContact(_ contact: Contact, definitions: [FieldDefinition]) -> JSONValue {
        var members = NotifuseMapping(definitions: definitions).fullInput(contact, externalID: nil)
        if case .object(let kept)? = contact.extensions["notifuse"] {
            for (name, value) in kept where members[name] == nil { members[name] = value }
        }
        return .object(members)
    }
}
