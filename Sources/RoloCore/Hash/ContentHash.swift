import Crypto
import Foundation

/// A fingerprint of what a contact says, used to tell whether two copies differ.
///
/// It ignores what does not change the meaning: field order, the case of emails,
/// whitespace around values, and bookkeeping (ids, timestamps); and the further emails and
/// phones, which no provider holds.
///
/// The hashed text is a list of parts, one per value: a kind (`s` standard field, `c` custom
/// value, `x` extension), then every piece prefixed with its length in bytes (`5:email`), then
/// `;` — so no value can imitate the end of a piece and make two different contacts hash
/// alike. Hashes are stored in the cache and compared with new ones, so this text never
/// changes. It is written as bytes straight into one buffer: this runs for every contact of an
/// import or a pull, often twice.
public enum ContentHash {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func of(_ contact: Contact) -> String {
        var canonical = CanonicalText()
        for field in contact.fields.keys.sorted() {
            var value = contact.fields[field]!.trimmed
            if field == .email { value = value.lowercased() }
            if value.isEmpty { continue }
            canonical.part("s", field.key, value)
        }
        for key in contact.custom.keys.sorted() {
            let value = contact.custom[key]!
            var text = value.storedText
            if case .text = value { text = text.trimmed }
            canonical.part("c", key, value.type.rawValue, text)
        }
        for key in contact.extensions.keys.sorted() {
            canonical.part("x", key, contact.extensions[key]!.canonicalText)
        }
        // Further emails and phones are left out: they stay in rolo, and the outbox compares
        // this hash with the base's to know whether anything must reach the provider.
        return hexDigest(of: canonical)
    }

    /// The SHA-256 of a canonical text, in hex: for other fingerprints built of the same parts
    /// (the sync's digest of what a provider holds of a contact).
    public static func hexDigest(of canonical: CanonicalText) -> String {
        let digest = SHA256.hash(data: canonical.bytes)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hashed text, as bytes.
    public struct CanonicalText: Sendable {
        var bytes: [UInt8] = []

        public init() { bytes.reserveCapacity(512) }

        public mutating func part(_ kind: Unicode.Scalar, _ pieces: String...) {
            bytes.append(UInt8(kind.value))
            for piece in pieces {
                appendDecimal(piece.utf8.count)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(contentsOf: piece.utf8)
            }
            bytes.append(UInt8(ascii: ";"))
        }

        private mutating func appendDecimal(_ number: Int) {
            if number < 10 {
                bytes.append(0x30 + UInt8(number))
                return
            }
            bytes.append(contentsOf: String(number).utf8)
        }
    }
}
