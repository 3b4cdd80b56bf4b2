/// How the text of one canvas cell becomes what curses is asked to draw.
///
/// The canvas measures graphemes with rolo's own table; curses (and the terminal) measure each
/// code point with the C library's `wcwidth`. When the two disagree, curses and the terminal
/// would put the rest of the line in other columns than the canvas did, so the cell is drawn as
/// something both sides measure alike: the pieces of the grapheme if their widths add up (a
/// flag as two regional indicators), the base character and a space, or a placeholder.
enum Glyphs {
    /// What curses draws for one cell, left to right. Each unit is a spacing code point with
    /// the combining marks that follow it (at most `maxScalarsPerUnit`); the widths curses
    /// gives the units add up to exactly `cells`.
    ///
    /// - Parameters:
    ///   - text: the cell's text (already made safe by the canvas).
    ///   - cells: the cells the canvas gave it (1, or 2 for a wide grapheme).
    ///   - unicode: false when the locale is not UTF-8: then only ASCII can be shown.
    ///   - width: the width curses gives a code point (`wcwidth`: -1 unprintable, 0 combining).
    static func units(for text: String, cells: Int, unicode: Bool, width: (UInt32) -> Int) -> [[UInt32]] {
        let scalars = text.unicodeScalars.map(\.value)
        if scalars.count == 1, let only = scalars.first, (0x20..<0x7F).contains(only) {
            // The common case: one ASCII character.
            return cells == 1 ? [[only]] : [[only], [0x20]]
        }
        guard unicode else { return ascii(for: scalars, cells: cells) }
        var units: [[UInt32]] = []
        var total = 0
        var valid = !scalars.isEmpty
        for scalar in scalars {
            let measured = width(scalar)
            if measured > 0 {
                units.append([scalar])
                total += measured
            } else if measured == 0, !units.isEmpty {
                if units[units.count - 1].count < maxScalarsPerUnit { units[units.count - 1].append(scalar) }
            } else {
                valid = false
                break
            }
        }
        if valid, total == cells { return units }
        if valid, cells == 2, let first = units.first, width(first[0]) == 1 {
            // Wide to rolo, narrow to curses (a heart without its emoji selector): the character
            // and a space keep the columns right on every terminal that agrees with curses.
            return [first, [0x20]]
        }
        return cells == 2 ? [[wideReplacement]] : [[narrowReplacement]]
    }

    /// Curses keeps a spacing character and up to four combining marks in a cell.
    static let maxScalarsPerUnit = 5

    /// Shown for a wide grapheme curses cannot place: a full-width question mark, two cells
    /// wide in every table.
    static let wideReplacement: UInt32 = 0xFF1F
    /// Shown for a narrow one: the replacement character the canvas uses for unsafe text too.
    static let narrowReplacement: UInt32 = 0xFFFD

    /// The ASCII stand-in for a cell when the terminal cannot show anything else: line drawing
    /// becomes `-`, `|` and `+`, the ellipsis of cut-off text `~`, a few common symbols their
    /// nearest ASCII, the rest `?`.
    static func ascii(for scalars: [UInt32], cells: Int) -> [[UInt32]] {
        let first = scalars.first ?? 0x20
        let stand: UInt32
        switch first {
        case 0x20..<0x7F: stand = first
        case 0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550: stand = 0x2D     // ─ -
        case 0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551: stand = 0x7C     // │ |
        case 0x250C...0x254B, 0x2552...0x2570: stand = 0x2B                                         // corners, tees +
        // A cut-off text must not end in what reads as a full stop ("set LANG=C."): `~`.
        case 0x2026: stand = 0x7E                                                                   // … ~
        case 0x00B7, 0x2022, 0x2219: stand = 0x2E                                                   // · • .
        case 0x2190: stand = 0x3C                                                                   // ← <
        case 0x2192: stand = 0x3E                                                                   // → >
        case 0x2191: stand = 0x5E                                                                   // ↑ ^
        case 0x2193: stand = 0x76                                                                   // ↓ v
        case 0x2717, 0x2718, 0x00D7: stand = 0x78                                                   // ✗ × x
        case 0x2713, 0x2714: stand = 0x2A                                                           // ✓ *
        case 0x203A: stand = 0x3E                                                                   // › >
        // The conflict marker: `?` would read as "unknown text", and it must differ from the others.
        case 0x2260: stand = 0x23                                                                   // ≠ #
        default: stand = 0x3F                                                                       // ?
        }
        return cells == 2 ? [[stand], [stand == 0x3F ? 0x3F : 0x20]] : [[stand]]
    }
}
