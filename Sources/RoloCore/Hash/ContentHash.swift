import Crypto
import Foundation

/// A fingerprint of what a contact says, used to tell whether two copies differ.
///
/// It ignores what does not change the meaning: field order, the case of emails,
/// whitespace around values, and bookkeeping (ids, timestamps).
public enum ContentHash {
    private static let digits = Array("0123456789abcdef".utf8)

    /// One field in the hashed text: every piece prefixed with its length in bytes, so no
    /// value can imitate the end of a piece and make two different contacts hash alike.
    private static func part(_ kind: String, _ pieces: String...) -> String {
        kind + pieces.map { "\($0.utf8.count):\($0)" }.joined() + ";"
    }

    public static func of(_ contact: Contact) -> String {
        var canonical = ""
        for field in contact.fields.keys.sorted() {
            var value = contact.fields[field]!.trimmed
            if field == .email { value = value.lowercased() }
            if value.isEmpty { continue }
            canonical += part("s", field.key, value)
        }
        for key in contact.custom.keys.sorted() {
            let value = contact.custom[key]!
            var text = value.storedText
            if case .text = value { text = text.trimmed }
            canonical += part("c", key, value.type.rawValue, text)
        }
        for key in contact.extensions.keys.sorted() {
            canonical += part("x", key, contact.extensions[key]!.canonicalText)
        }
        let digest = SHA256.hash(data: Data(canonical.utf8))
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
