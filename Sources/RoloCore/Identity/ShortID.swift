/// The short ids people type: `rolo show k3p9`.
///
/// Row ids below 2²⁰ are shuffled by a fixed bijection and written as exactly four Crockford
/// base-32 characters, so neighbouring contacts get unrelated ids and a typo rarely lands on
/// the contact next door. Larger row ids are written plainly with five or more characters.
/// An id never changes, because the row id it encodes never changes.
public enum ShortID {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
    private static let bits: Int64 = 20
    private static let mask: Int64 = (1 << bits) - 1
    private static let multiplier: Int64 = 0x5_BD1D      // odd, so invertible modulo 2²⁰
    private static let inverse: Int64 = {
        var x: Int64 = 1                                  // Newton's iteration for the modular inverse
        for _ in 0..<5 { x = (x * (2 - multiplier * x)) & mask }
        return x
    }()

    public static func encode(_ rowID: Int64) -> String {
        precondition(rowID >= 0)
        if rowID <= mask {
            return digits(scramble(rowID), minimumLength: 4)
        }
        return digits(rowID, minimumLength: 5)
    }

    /// Reads a short id; case-insensitive, and `o`, `i`, `l` are read as `0`, `1`, `1`.
    public static func decode(_ text: String) -> Int64? {
        var value: Int64 = 0
        let characters = Array(text.lowercased())
        guard characters.count >= 4, characters.count <= 12 else { return nil }
        for character in characters {
            let normal: Character = switch character { case "o": "0"; case "i", "l": "1"; default: character }
            guard let digit = alphabet.firstIndex(of: normal) else { return nil }
            value = value * 32 + Int64(digit)
        }
        if characters.count == 4 { return unscramble(value) }
        return value > mask ? value : nil
    }

    private static func scramble(_ value: Int64) -> Int64 {
        let product = (value * multiplier) & mask
        return product ^ (product >> 10)
    }

    private static func unscramble(_ value: Int64) -> Int64 {
        let product = value ^ (value >> 10)                // x ^ (x >> 10) is its own inverse on 20 bits
        return (product * inverse) & mask
    }

    /// The alphabet as bytes: an id is written for every row of `rolo list`, and building it
    /// from `Character`s cost more than reading the row.
    private static let alphabetBytes = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    private static func digits(_ value: Int64, minimumLength: Int) -> String {
        var remaining = value
        var output: [UInt8] = []
        output.reserveCapacity(max(minimumLength, 13))
        repeat {
            output.append(alphabetBytes[Int(remaining % 32)])
            remaining /= 32
        } while remaining > 0
        while output.count < minimumLength { output.append(UInt8(ascii: "0")) }
        output.reverse()
        return String(decoding: output, as: UTF8.self)
    }
}
