import Foundation

/// What `rolo sandbox` asks its helper `rolo-emulators` to serve, and what the helper answers
/// once its servers listen: one JSON line each way, over the helper's stdin and stdout.
///
/// Why a helper: the emulators' HTTP server brings Foundation's networking and libcurl's thirty
/// libraries with it, and linked into `rolo` they cost every start about 8 ms (measured: a
/// static Swift program starts in 2.2 ms without them, 10.5 ms with them) — `rolo list` and the
/// TUI's first screen included. Only the sandbox needs them.
public enum SandboxWire {
    /// The accounts to serve, each seeded with contacts in its provider's wire form.
    public struct Request: Codable, Sendable, Equatable {
        /// The first port; the emulators take it and the next two. 0 lets the system choose.
        public var firstPort: UInt16
        /// Seconds between a colleague's edits on the servers; nil for none.
        public var colleagueSeconds: Int?
        public var notifuse: Notifuse?
        public var dailyStory: DailyStory?
        public var ivvy: Ivvy?

        public init(firstPort: UInt16, colleagueSeconds: Int?, notifuse: Notifuse?, dailyStory: DailyStory?, ivvy: Ivvy?) {
            self.firstPort = firstPort
            self.colleagueSeconds = colleagueSeconds
            self.notifuse = notifuse
            self.dailyStory = dailyStory
            self.ivvy = ivvy
        }
    }

    public struct Notifuse: Codable, Sendable, Equatable {
        public var workspaceID: String
        /// Each contact as the JSON text of Notifuse's wire form.
        public var contacts: [String]

        public init(workspaceID: String, contacts: [String]) {
            self.workspaceID = workspaceID
            self.contacts = contacts
        }
    }

    public struct DailyStory: Codable, Sendable, Equatable {
        /// Each contact as the JSON text of DailyStory's wire form.
        public var contacts: [String]

        public init(contacts: [String]) { self.contacts = contacts }
    }

    public struct Ivvy: Codable, Sendable, Equatable {
        public var customFields: [IvvyField]
        /// Each contact as the JSON text of iVvy's wire form.
        public var contacts: [String]

        public init(customFields: [IvvyField], contacts: [String]) {
            self.customFields = customFields
            self.contacts = contacts
        }
    }

    /// A custom field of the iVvy account, as iVvy's `getCustomFields` describes it.
    public struct IvvyField: Codable, Sendable, Equatable {
        public var fieldID: Int
        /// iVvy's numeric field type.
        public var typeCode: Int
        public var displayName: String
        public var isRequired: Bool
        /// Value → label, for the select types.
        public var selectValues: [String: String]?

        public init(fieldID: Int, typeCode: Int, displayName: String, isRequired: Bool, selectValues: [String: String]?) {
            self.fieldID = fieldID
            self.typeCode = typeCode
            self.displayName = displayName
            self.isRequired = isRequired
            self.selectValues = selectValues
        }
    }

    /// The helper's answer: every server, listening.
    public struct Ready: Codable, Sendable, Equatable {
        public var servers: [Server]

        public init(servers: [Server]) { self.servers = servers }
    }

    public struct Server: Codable, Sendable, Equatable {
        /// The provider's key in a config: notifuse, dailystory or ivvy.
        public var provider: String
        public var baseURL: String
        /// How many contacts it holds.
        public var count: Int
        /// Secrets by role: `token`, or iVvy's `key` and `secret`.
        public var secrets: [String: String]
        /// Further settings of the account in a config (Notifuse's `workspace_id`).
        public var settings: [String: String]

        public init(provider: String, baseURL: String, count: Int, secrets: [String: String], settings: [String: String] = [:]) {
            self.provider = provider
            self.baseURL = baseURL
            self.count = count
            self.secrets = secrets
            self.settings = settings
        }
    }

    /// One message as the line that carries it.
    public static func line<Message: Encodable>(_ message: Message) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(message) + Data("\n".utf8)
    }

    /// A message from its line.
    public static func read<Message: Decodable>(_ type: Message.Type, from line: Data) throws -> Message {
        try JSONDecoder().decode(type, from: line)
    }
}
