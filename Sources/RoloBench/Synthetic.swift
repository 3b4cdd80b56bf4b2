import RoloCore

/// Deterministic synthetic contacts: contact `i` is always the same for the same seed, so the
/// benchmark's caches can be rebuilt identically and contacts generated in any order.
struct SyntheticContacts {
    let seed: UInt64

    static let firstNames = [
        "Rob", "Robert", "Roberta", "Alice", "Amelia", "Zoë", "Ivan", "Olga", "José", "Mohammed", "Fatima", "Chen",
        "Yuki", "Liam", "Noah", "Emma", "Olivia", "Ava", "Sophia", "Mia", "Lucas", "Mason", "Ethan", "Logan", "Aria",
        "Ella", "Grace", "Chloé", "Hannah", "Leo", "Jack", "Henry", "Oscar", "Max", "Ruby", "Ivy", "Nora", "Lily",
        "Isla", "Freya", "Björn", "Łukasz", "François", "Ngọc", "Søren", "Dmitri", "Анна", "Иван", "Ольга", "Сергей",
        "محمد", "فاطمة", "علي", "太郎", "花子", "小明", "静", "민준", "서연", "Priya", "Arjun", "Kwame", "Amara", "Thabo",
        "Lerato", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Lucía", "Hugo", "Inès", "Jules", "Léa", "Emil",
        "Maja", "Astrid", "Finn", "Sven", "Ingrid", "Aino", "Eero", "Kai", "Mei", "Hiro", "Sakura", "Ren", "Jin", "Wei",
        "Dallas", "Morgan", "Taylor", "Jordan", "Casey", "Riley", "Avery", "Quinn", "Rowan", "Sage",
    ]
    static let lastNames = [
        "Howard", "Smith", "Jones", "Brown", "Dallaire", "Garcia", "Müller", "Ivanov", "Nguyen", "Kim", "Tanaka",
        "Silva", "Rossi", "Dubois", "Novak", "Kowalski", "Hansen", "Jensen", "Larsen", "O'Brien", "MacDonald",
        "van der Berg", "de la Cruz", "Álvarez", "Wójcik", "Ødegaard", "Trần", "Петров", "Смирнова", "Кузнецов",
        "العلي", "الزهراء", "حداد", "山田", "田中", "王", "李", "김", "박", "Patel", "Sharma", "Okafor", "Mensah",
        "Dlamini", "Fernández", "López", "Martínez", "Moreau", "Lefèvre", "Schmidt", "Schneider", "Fischer", "Weber",
        "Becker", "Wagner", "Hoffmann", "Virtanen", "Korhonen", "Andersson", "Johansson", "Nakamura", "Suzuki",
        "Watanabe", "Chen", "Wang", "Zhang", "Liu", "Anderson", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
        "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards",
    ]
    static let cities = [
        ("Dallas", "Texas", "United States"), ("Austin", "Texas", "United States"), ("Paris", "Île-de-France", "France"),
        ("Berlin", "Berlin", "Germany"), ("Tokyo", "Tokyo", "Japan"), ("Sydney", "NSW", "Australia"),
        ("London", "England", "United Kingdom"), ("Madrid", "Madrid", "Spain"), ("Rome", "Lazio", "Italy"),
        ("Oslo", "Oslo", "Norway"), ("Zürich", "Zürich", "Switzerland"), ("Москва", "Москва", "Россия"),
        ("Dubai", "Dubai", "United Arab Emirates"), ("Seoul", "Seoul", "South Korea"), ("São Paulo", "SP", "Brazil"),
        ("Kraków", "Małopolska", "Poland"), ("Hanoi", "Hà Nội", "Vietnam"), ("Lagos", "Lagos", "Nigeria"),
        ("Toronto", "Ontario", "Canada"), ("Melbourne", "Victoria", "Australia"),
    ]
    static let companies = [
        "Acme Logistics", "Globex", "Initech", "Umbrella Health", "Hooli", "Stark Industries", "Wayne Enterprises",
        "Wonka Foods", "Soylent", "Cyberdyne", "Tyrell", "Massive Dynamic", "Aperture Labs", "Black Mesa", "Vandelay",
        "Pied Piper", "Dunder Mifflin", "Gringotts", "Oceanic Air", "Monarch Events", "Blue Harbor Venues",
        "Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "株式会社山田", "ООО Ромашка", "شركة النور",
    ]
    static let domains = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example.org"]
    static let plans = ["gold", "silver", "bronze", "trial", "enterprise"]

    func contact(_ index: Int, accountID: Int64) -> Contact {
        var random = SplitMix(seed: seed ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let first = Self.firstNames[Int(random.next() % UInt64(Self.firstNames.count))]
        let last = Self.lastNames[Int(random.next() % UInt64(Self.lastNames.count))]
        let place = Self.cities[Int(random.next() % UInt64(Self.cities.count))]
        let company = Self.companies[Int(random.next() % UInt64(Self.companies.count))]
        let domain = Self.domains[Int(random.next() % UInt64(Self.domains.count))]
        let phone = "+1555" + String(1_000_000 + random.next() % 9_000_000)
        // Names in other scripts leave nothing ASCII: the address then has no such part, so that
        // every address is one `rolo import` accepts.
        let local = [first, last].map { TextFolding.fold($0).filter { $0.isASCII && $0.isLetter } }
            .filter { !$0.isEmpty }.joined(separator: ".")
        let uid = Self.uuid(random.next(), random.next())
        var fields: [StandardField: String] = [
            .firstName: first, .lastName: last, .email: "\(local.isEmpty ? "user" : local)\(index)@\(domain)",
            .mobilePhone: phone, .city: place.0, .region: place.1, .country: place.2, .company: company,
        ]
        if random.next() % 3 == 0 { fields[.jobTitle] = ["Founder, CEO", "Support lead", "Buyer", "Event manager"][Int(random.next() % 4)] }
        let custom: [String: CustomValue] = [
            "plan": .select(Self.plans[Int(random.next() % UInt64(Self.plans.count))]),
            "score": .number(Double(random.next() % 1000)),
            "customer_ref": .text("cus_" + String(random.next() % 100_000_000, radix: 36)),
        ]
        let created = Timestamp(millisecondsSinceEpoch: 1_640_000_000_000 + Int64(random.next() % 120_000_000_000))
        return Contact(uid: uid, accountID: accountID, fields: fields, custom: custom, createdAt: created, updatedAt: created)
    }

    static func uuid(_ high: UInt64, _ low: UInt64) -> String {
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
