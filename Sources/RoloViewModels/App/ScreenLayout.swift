/// Where everything goes on the screen. The view models need it (how many rows a page has)
/// and the panes draw into it, so both use this one computation.
///
/// ```
/// row 0        title bar: rolo · account · filter
/// rows 1…h-3   the panes: side by side from 100 columns, one at a time below
/// row h-2      status bar: counts, pending edits, conflicts, last sync, messages
/// row h-1      key hints, or the filter / command line while typing
/// ```
public struct ScreenLayout: Hashable, Sendable {
    public static let minimumSize = Size(width: 40, height: 10)
    /// From this width the list and the detail stand side by side.
    public static let sideBySideWidth = 100

    public let size: Size
    public let isTooSmall: Bool
    public let isSideBySide: Bool
    public let title: Rect
    public let main: Rect
    public let status: Rect
    public let footer: Rect
    /// The list's part of `main` when side by side (the whole of `main` otherwise).
    public let listPane: Rect
    /// The detail's (or the form's) part of `main` when side by side (the whole of it otherwise).
    public let detailPane: Rect

    public init(size: Size) {
        self.size = size
        isTooSmall = size.width < ScreenLayout.minimumSize.width || size.height < ScreenLayout.minimumSize.height
        isSideBySide = size.width >= ScreenLayout.sideBySideWidth
        let whole = Rect(x: 0, y: 0, width: size.width, height: size.height)
        let (title, rest) = whole.splitTop(1)
        let (middle, bottom) = rest.splitBottom(2)
        self.title = title
        main = middle
        status = Rect(x: 0, y: bottom.y, width: size.width, height: min(1, bottom.height))
        footer = Rect(x: 0, y: bottom.y + 1, width: size.width, height: max(0, bottom.height - 1))
        if isSideBySide {
            let listWidth = max(44, size.width * 2 / 5)
            listPane = Rect(x: 0, y: middle.y, width: listWidth, height: middle.height)
            // One column for the separator between the panes.
            detailPane = Rect(x: listWidth + 1, y: middle.y, width: size.width - listWidth - 1, height: middle.height)
        } else {
            listPane = middle
            detailPane = middle
        }
    }

    /// Contact rows the list shows (its pane minus the column header).
    public var listRows: Int { max(1, listPane.height - 1) }
}

/// The edit form's columns, shared by the form pane and the model (which keeps the typing
/// cursor in view). The label column has a usual width, so values line up from one contact
/// to the next; it grows for longer labels, up to a third of the pane.
public enum FormGeometry {
    public static func labelWidth(paneWidth: Int, longestLabel: Int) -> Int {
        let usual = min(20, max(12, paneWidth / 4))
        return max(usual, min(longestLabel + 1, min(26, paneWidth / 3)))
    }
    public static func valueWidth(paneWidth: Int, longestLabel: Int) -> Int {
        max(4, paneWidth - labelWidth(paneWidth: paneWidth, longestLabel: longestLabel) - 5)
    }
}
