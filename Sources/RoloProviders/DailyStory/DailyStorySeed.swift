import RoloCore

extension DailyStoryClient {
    /// A contact as DailyStory's create takes it, with its dsId — for seeding a test server
    /// (`rolo sandbox`). Nil when the contact cannot be written (a status DailyStory lacks).
    public static func wireContact(_ contact: Contact, dsID: String, definitions: [FieldDefinition]) -> JSONValue? {
        guard var body = try? DailyStoryMapping(definitions: definitions).createBody(contact) else { return nil }
        body["dsId"] = .string(dsID)
        return .object(body)
    }
}
