/// How much colour the terminal gets.
public enum ColorLevel: Sendable, Equatable {
    /// Monochrome: attributes only (`NO_COLOR`, `--no-color`, or a terminal without colour).
    case none
    /// The 8 ANSI colours, on the terminal's own background.
    case basic
    /// 256 colours.
    case extended
}

/// What a role looks like at one colour level. Colours are curses colour numbers; -1 is the
/// terminal's default.
struct Look: Equatable {
    var foreground: Int16 = -1
    var background: Int16 = -1
    var bold = false
    var dim = false
    var reverse = false
    var underline = false

    var usesColor: Bool { foreground != -1 || background != -1 }
}

/// The theme as data: every role at every colour level.
///
/// The 8-colour looks keep the terminal's background and colour only foregrounds, so they
/// read on dark and light terminals alike; the selection and the bars use reverse video,
/// which works everywhere. Monochrome uses attributes only and never a colour.
enum Theme {
    static func look(_ role: Role, at level: ColorLevel) -> Look {
        switch level {
        case .extended: extended(role)
        case .basic: basic(role)
        case .none: monochrome(role)
        }
    }

    private static func extended(_ role: Role) -> Look {
        switch role {
        case .normal: Look()
        case .title: Look(foreground: 255, background: 24, bold: true)            // white on slate blue
        case .header: Look(foreground: 250, background: 236, bold: true)
        case .selected: Look(foreground: 231, background: 25, bold: true)         // white on blue
        case .selectedInactive: Look(foreground: 253, background: 239)
        case .label: Look(foreground: 110)
        case .muted: Look(foreground: 245)
        case .border: Look(foreground: 240)
        case .hint: Look(foreground: 244)
        case .hintKey: Look(foreground: 75, bold: true)
        case .input: Look(foreground: 231, background: 237)
        case .error: Look(foreground: 203, bold: true)
        case .warning: Look(foreground: 214)
        case .success: Look(foreground: 114)
        case .pending: Look(foreground: 214, bold: true)
        case .conflict: Look(foreground: 170, bold: true)
        case .status: Look(foreground: 252, background: 236)
        case .statusAccent: Look(foreground: 75, background: 236, bold: true)
        case .dialog: Look(foreground: 252, background: 235)
        case .dialogTitle: Look(foreground: 231, background: 235, bold: true)
        }
    }

    private static func basic(_ role: Role) -> Look {
        // curses colour numbers: 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white.
        switch role {
        case .normal: Look()
        case .title: Look(foreground: 7, background: 4, bold: true)
        case .header: Look(bold: true, underline: true)
        case .selected: Look(bold: true, reverse: true)
        case .selectedInactive: Look(reverse: true)
        case .label: Look(foreground: 6)
        case .muted: Look(dim: true)
        case .border: Look(foreground: 4)
        case .hint: Look(dim: true)
        case .hintKey: Look(foreground: 6, bold: true)
        case .input: Look(underline: true)
        case .error: Look(foreground: 1, bold: true)
        case .warning: Look(foreground: 3)
        case .success: Look(foreground: 2)
        case .pending: Look(foreground: 3, bold: true)
        case .conflict: Look(foreground: 5, bold: true)
        case .status: Look(reverse: true)
        case .statusAccent: Look(bold: true, reverse: true)
        case .dialog: Look()
        case .dialogTitle: Look(bold: true)
        }
    }

    private static func monochrome(_ role: Role) -> Look {
        switch role {
        case .normal, .dialog, .success, .border: Look()
        case .title, .selected: Look(bold: true, reverse: true)
        case .selectedInactive, .status: Look(reverse: true)
        case .statusAccent: Look(bold: true, reverse: true)
        case .header, .dialogTitle, .hintKey, .warning, .pending, .conflict: Look(bold: true)
        case .label: Look()
        case .muted, .hint: Look(dim: true)
        case .input: Look(underline: true)
        case .error: Look(bold: true, underline: true)
        }
    }
}
