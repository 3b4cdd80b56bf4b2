import RoloCore

extension IvvyClient {
    /// A contact as iVvy's `addOrUpdateContact` takes it, with its id — for seeding a test
    /// server (`rolo sandbox`). Nil when the contact cannot be written.
    public static func wireContact(_ contact: Contact, id: Int, definitions: [FieldDefinition]) -> JSONValue? {
        guard var body = try? IvvyMapping(definitions: definitions).createBody(contact) else { return nil }
        body["id"] = .number(Double(id))
        body["updateIfExists"] = nil
        return .object(body)
    }

    /// An iVvy `fieldType` code for a rolo field definition (the reverse of what
    /// `refreshFieldDefinitions` reads), for setting up a test server.
    public static func fieldTypeCode(_ definition: FieldDefinition) -> Int {
        if definition.isReadOnly { return 7 }
        switch definition.type {
        case .select: return 2
        case .multiselect: return 3
        case .json: return 4
        case .date: return 5
        case .number: return 8
        default: return 0
        }
    }
}
