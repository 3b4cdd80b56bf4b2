import RoloCore

/// The uids, emails and provider ids an import stored, as a Bloom filter: asked about a key,
/// it answers "certainly not stored" or "maybe". An import into a cache that held no contact
/// at all skips the cache lookup of every key the filter has certainly not seen — nearly every
/// key of a first import, whose lookups were a seventh of its time at 100k and a random page
/// of a b-tree larger than the page cache each at 1M. A "maybe" is looked up as before, so the
/// answer of a lookup never depends on the filter.
///
/// 2 MiB of bits and 7 probes: one key in a hundred answers "maybe" falsely at 2M keys
/// (an import of a million contacts with an email each), more beyond — never a wrong "no".
struct StoredKeyFilter {
    private var bits: [UInt64]
    private static let wordCount = 1 << 18           // 2^24 bits = 2 MiB
    private static let probes = 7

    init() {
        bits = [UInt64](repeating: 0, count: StoredKeyFilter.wordCount)
    }

    /// The key of a uid (matched exactly).
    static func uid(_ uid: String) -> String { "u" + uid }

    /// The key of an email in an account, as the cache matches it: spaces around it dropped,
    /// ASCII letters in either case alike (SQLite's NOCASE).
    static func email(_ email: String, accountID: Int64) -> String {
        let trimmed = email.trimmingSpaces
        let folded = String(decoding: trimmed.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        return "e\(accountID):" + folded
    }

    /// The key of a provider id in an account.
    static func remote(_ id: String, accountID: Int64) -> String { "r\(accountID):" + id }

    mutating func insert(_ key: String) {
        let (first, step) = Self.hashes(key)
        for probe in 0..<Self.probes {
            let bit = (first &+ UInt64(probe) &* step) & UInt64(Self.wordCount * 64 - 1)
            bits[Int(bit >> 6)] |= 1 << (bit & 63)
        }
    }

    /// False only for a key never inserted.
    func mayContain(_ key: String) -> Bool {
        let (first, step) = Self.hashes(key)
        for probe in 0..<Self.probes {
            let bit = (first &+ UInt64(probe) &* step) & UInt64(Self.wordCount * 64 - 1)
            if bits[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Two hashes from one (double hashing); the step is odd, so probes never repeat a bit.
    private static func hashes(_ key: String) -> (UInt64, UInt64) {
        var hasher = Hasher()
        hasher.combine(key)
        let value = UInt64(bitPattern: Int64(hasher.finalize()))
        return (value, (value >> 32 | value << 32) | 1)
    }
}
