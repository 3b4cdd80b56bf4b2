/// How much colour the terminal gets.
public enum ColorLevel: Sendable, Equatable, CaseIterable {
    /// Monochrome: attributes only (`--no-color`, `NO_COLOR`, or a terminal without colour).
    case none
    /// The 8 ANSI colours, on the terminal's own background.
    case basic
    /// 256 colours.
    case extended
}

/// What a role looks like at one colour level: curses colour numbers (-1 is the terminal's own
/// default) and attributes. Plain data, so the table can be checked without a terminal.
struct Look: Equatable, Sendable {
    struct Attributes: OptionSet, Equatable, Sendable {
        let rawValue: UInt8
        static let bold = Attributes(rawValue: 1 << 0)
        static let dim = Attributes(rawValue: 1 << 1)
        static let reverse = Attributes(rawValue: 1 << 2)
        static let underline = Attributes(rawValue: 1 << 3)
    }

    var foreground: Int16 = -1
    var background: Int16 = -1
    var attributes: Attributes = []

    init(_ attributes: Attributes = []) {
        self.attributes = attributes
    }

    init(foreground: Int16 = -1, background: Int16 = -1, _ attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// True when showing this look needs a colour pair.
    var usesColor: Bool { foreground >= 0 || background >= 0 }
}

/// The theme as data: one row per role, with its look at each colour level.
///
/// - extended (256 colours): bars carry their own background and foreground, so they read the
///   same on dark and light terminals; text colours are mid tones.
/// - basic (8 colours): the terminal's background everywhere except the title bar and the
///   selection; foreground colours only where they mean something, and never yellow or blue
///   text (unreadable on a light or a dark background respectively in common palettes).
/// - none (monochrome): attributes only, never a colour.
enum Theme {
    struct Row: Equatable, Sendable {
        var extended: Look
        var basic: Look
        var none: Look
    }

    static func look(_ role: Role, at level: ColorLevel) -> Look {
        let row = row(role)
        return switch level {
        case .extended: row.extended
        case .basic: row.basic
        case .none: row.none
        }
    }

    // The exhaustive switch is the table: a new role does not compile until it has a row.
    // 8-colour numbers: 0 black, 1 red, 2 green, 4 blue, 5 magenta, 6 cyan, 7 white.
    static func row(_ role: Role) -> Row {
        switch role {
        case .normal:
            // The terminal's own colours: the user chose them.
            Row(extended: Look(), basic: Look(), none: Look())
        case .title:
            // The top bar: white on a dark steel-blue bar; a bar in every mode.
            Row(extended: Look(foreground: 231, background: 24, [.bold]),
                basic: Look(foreground: 7, background: 4, [.bold]),
                none: Look([.bold, .reverse]))
        case .header:
            // Column and section headings: a quiet grey band; underlined where there is no grey.
            Row(extended: Look(foreground: 252, background: 237, [.bold]),
                basic: Look([.bold, .underline]),
                none: Look([.bold, .underline]))
        case .selected:
            // The row the keys act on: must stand out from everything else.
            // Not bold at 256 colours: white on blue reads well as it is, and leaving bold out
            // saves a full attribute reset on every move.
            Row(extended: Look(foreground: 231, background: 25),
                basic: Look(foreground: 0, background: 6),
                none: Look([.bold, .reverse]))
        case .selectedInactive:
            // The selection of the pane without focus: visible, but quieter than the focused one.
            Row(extended: Look(foreground: 254, background: 240),
                basic: Look([.underline]),
                none: Look([.underline]))
        case .label:
            // Field names beside values: a mid steel blue that reads on dark and light.
            Row(extended: Look(foreground: 67), basic: Look(foreground: 6), none: Look())
        case .muted:
            // Secondary text (email and company columns): grey, or dim.
            Row(extended: Look(foreground: 244), basic: Look([.dim]), none: Look([.dim]))
        case .border:
            // Lines between panes: present but in the background.
            Row(extended: Look(foreground: 240), basic: Look([.dim]), none: Look())
        case .hint:
            // Key hints and help text.
            Row(extended: Look(foreground: 244), basic: Look([.dim]), none: Look([.dim]))
        case .hintKey:
            // The key in a hint: what the eye looks for.
            Row(extended: Look(foreground: 33, [.bold]), basic: Look([.bold]), none: Look([.bold]))
        case .input:
            // A field being edited: a band of its own, with its own foreground so it reads on light
            // terminals too; underlined where there is no grey.
            Row(extended: Look(foreground: 231, background: 237),
                basic: Look([.underline]),
                none: Look([.underline]))
        case .error:
            // Errors: red; bold and underlined without colour so they cannot be missed.
            Row(extended: Look(foreground: 196, [.bold]),
                basic: Look(foreground: 1, [.bold]),
                none: Look([.bold, .underline]))
        case .warning:
            // Warnings: amber; magenta in 8 colours (yellow text vanishes on light backgrounds).
            Row(extended: Look(foreground: 214), basic: Look(foreground: 5), none: Look([.bold]))
        case .success:
            // Confirmations: green; plain without colour (good news needs no shouting).
            Row(extended: Look(foreground: 34), basic: Look(foreground: 2), none: Look())
        case .pending:
            // Edits not yet sent: amber; cyan in 8 colours, for the same reason as warnings.
            Row(extended: Look(foreground: 214, [.bold]), basic: Look(foreground: 6, [.bold]), none: Look([.bold]))
        case .conflict:
            // Conflicts: magenta, bold; underlined too without colour, like errors.
            Row(extended: Look(foreground: 170, [.bold]),
                basic: Look(foreground: 5, [.bold]),
                none: Look([.bold, .underline]))
        case .status:
            // The status bar: reverse video at every level. It changes on every move (the row
            // number), and reverse costs a third of the bytes of a 256-colour pair there.
            Row(extended: Look([.reverse]), basic: Look([.reverse]), none: Look([.reverse]))
        case .statusAccent:
            // Emphasis inside the status bar.
            Row(extended: Look([.reverse, .bold]),
                basic: Look([.reverse, .bold]),
                none: Look([.reverse, .bold]))
        case .dialog:
            // A dialog keeps the screen's background so the roles drawn inside it (labels, hints,
            // errors, fields) look the same as elsewhere; its frame sets it apart.
            Row(extended: Look(), basic: Look(), none: Look())
        case .dialogTitle:
            // The title in a dialog's frame.
            Row(extended: Look([.bold]), basic: Look([.bold]), none: Look([.bold]))
        }
    }
}
