@testable import RoloTerminal
import Testing

@Suite("Theme")
struct ThemeTests {
    @Test(arguments: ColorLevel.allCases)
    func everyRoleHasALookAtEveryLevel(_ level: ColorLevel) {
        // The table is an exhaustive switch, so every role has a row; check the rows are used
        // as intended: colour numbers in range for the level.
        let limit: Int16 = level == .extended ? 255 : 7
        for role in Role.allCases {
            let look = Theme.look(role, at: level)
            #expect((-1...limit).contains(look.foreground), "\(role) at \(level)")
            #expect((-1...limit).contains(look.background), "\(role) at \(level)")
        }
    }

    @Test func monochromeNeverUsesColour() {
        for role in Role.allCases {
            #expect(!Theme.look(role, at: .none).usesColor, "\(role)")
        }
    }

    @Test(arguments: ColorLevel.allCases)
    func theSelectionStandsOut(_ level: ColorLevel) {
        let normal = Theme.look(.normal, at: level)
        let selected = Theme.look(.selected, at: level)
        let inactive = Theme.look(.selectedInactive, at: level)
        #expect(selected != normal)
        #expect(inactive != normal)
        #expect(selected != inactive, "focus must show which pane has it")
        // A bar, not only a text colour: a background or reverse video.
        #expect(selected.background >= 0 || selected.attributes.contains(.reverse))
    }

    @Test(arguments: ColorLevel.allCases)
    func errorsDifferFromNormalText(_ level: ColorLevel) {
        #expect(Theme.look(.error, at: level) != Theme.look(.normal, at: level))
        #expect(Theme.look(.conflict, at: level) != Theme.look(.normal, at: level))
    }

    @Test func eightColoursKeepTheTerminalsBackground() {
        // Only the two bars may paint a background with 8 colours; and text never uses
        // yellow (3) or blue (4), which vanish on light or dark backgrounds.
        for role in Role.allCases {
            let look = Theme.look(role, at: .basic)
            if role != .title && role != .selected {
                #expect(look.background == -1, "\(role)")
                #expect(look.foreground != 3 && look.foreground != 4, "\(role)")
            }
        }
    }

    @Test func barsSetTheirOwnForeground() {
        // A background without a foreground would put the terminal's default text colour on
        // it: dark text on a dark bar in a light terminal.
        for level in ColorLevel.allCases {
            for role in Role.allCases {
                let look = Theme.look(role, at: level)
                if look.background >= 0 { #expect(look.foreground >= 0, "\(role) at \(level)") }
            }
        }
    }
}
