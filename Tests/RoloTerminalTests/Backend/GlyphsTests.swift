@testable import RoloTerminal
import Testing

/// How a cell's text becomes what curses draws when rolo's widths and the C library's differ.
@Suite("Glyphs")
struct GlyphsTests {
    /// A stand-in for glibc 2.36's wcwidth on the characters used here.
    static func width(_ value: UInt32) -> Int {
        switch value {
        case 0x301, 0xFE0F, 0x200D: 0
        case 0x1F1E6...0x1F1FF: 1                    // regional indicators: narrow in glibc
        case 0x1FAE8: -1                             // an emoji newer than the C library
        case 0x4E00...0x9FFF, 0x1F680, 0xFF1F: 2
        default: 1
        }
    }

    func units(_ text: String, cells: Int = 1, unicode: Bool = true) -> [String] {
        Glyphs.units(for: text, cells: cells, unicode: unicode, width: Self.width).map { unit in
            String(String.UnicodeScalarView(unit.compactMap(Unicode.Scalar.init)))
        }
    }

    @Test func agreeingWidthsDrawTheTextAsItIs() {
        #expect(units("a") == ["a"])
        #expect(units("é") == ["é"])
        #expect(units("e\u{301}") == ["e\u{301}"])
        #expect(units("山", cells: 2) == ["山"])
        #expect(units("🚀", cells: 2) == ["🚀"])
        #expect(units("─") == ["─"])
    }

    @Test func aFlagIsDrawnAsItsTwoIndicators() {
        // Two narrow code points in two cells: curses and the terminal both advance two columns.
        #expect(units("🇯🇵", cells: 2) == ["🇯", "🇵"])
    }

    @Test func wideToRoloNarrowToCursesGetsASpace() {
        #expect(units("❤", cells: 2) == ["❤", " "])
    }

    @Test func whatCursesCannotMeasureIsReplaced() {
        #expect(units("\u{1FAE8}", cells: 2) == ["？"])
        #expect(units("\u{1FAE8}", cells: 1) == ["\u{FFFD}"])
        #expect(units("山", cells: 1) == ["\u{FFFD}"])
        #expect(units("\u{301}") == ["\u{FFFD}"])          // a lone mark
    }

    @Test func combiningMarksAreCappedAtWhatACellHolds() {
        let many = "e" + String(repeating: "\u{301}", count: 8)
        #expect(Glyphs.units(for: many, cells: 1, unicode: true, width: Self.width) == [[0x65, 0x301, 0x301, 0x301, 0x301]])
    }

    @Test func withoutUTF8OnlyASCIIIsSent() {
        #expect(units("─", unicode: false) == ["-"])
        #expect(units("│", unicode: false) == ["|"])
        #expect(units("╭", unicode: false) == ["+"])
        #expect(units("…", unicode: false) == ["~"], "text cut off does not end in what reads as a full stop")
        #expect(units("·", unicode: false) == ["."])
        #expect(units("é", unicode: false) == ["?"])
        #expect(units("山", cells: 2, unicode: false) == ["?", "?"])
        #expect(units("a", unicode: false) == ["a"])
        for text in ["─", "é", "🚀", "山"] {
            #expect(units(text, cells: 1, unicode: false).allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
        }
    }
}

extension GlyphsTests {
    /// The list's sync markers stay four different marks without UTF-8: waiting, being sent,
    /// failed, in conflict.
    @Test func theSyncMarkersHaveDistinctASCIIStandIns() {
        let markers = [SyncMarkerText.pending, SyncMarkerText.sending, SyncMarkerText.failed, SyncMarkerText.conflict]
        let ascii = markers.map { units($0, unicode: false) }
        #expect(ascii == [["."], ["^"], ["!"], ["#"]])
    }
}

/// The symbols the list draws (RoloCore's SyncMarker), spelt out so the test reads alone.
enum SyncMarkerText {
    static let pending = "•", sending = "↑", failed = "!", conflict = "≠"
}
