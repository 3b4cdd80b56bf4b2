import Testing
@testable import RoloViewModels

@Suite("The key map")
struct KeyMapTests {
    let map = KeyMap.standard

    @Test func noKeyDoesTwoThingsInOneContext() {
        let conflicts = map.conflicts()
        #expect(conflicts.isEmpty, "conflicts: \(conflicts.map { "\($0.context) \($0.key): \($0.commands)" })")
    }

    @Test func aConflictIsFound() {
        let broken = KeyMap(bindings: map.bindings + [KeyBinding(.character("e"), .delete, in: [.list], help: "oops")])
        #expect(broken.conflicts().contains { $0.context == .list && $0.key == .character("e") })
    }

    @Test func noLetterIsStolenWhereTextIsTyped() {
        #expect(map.bindingsShadowingText().isEmpty)
    }

    @Test func theDesignsKeysAreThere() {
        let expected: [(Key, KeyContext, Command)] = [
            (.character("j"), .list, .moveDown), (.down, .list, .moveDown), (.character("k"), .list, .moveUp),
            (.character("g"), .list, .moveFirst), (.character("G"), .list, .moveLast),
            (.pageDown, .list, .pageDown), (.pageUp, .list, .pageUp), (.character("/"), .list, .filter),
            (.enter, .list, .open), (.character("e"), .list, .edit), (.character("n"), .list, .new),
            (.character("d"), .list, .delete), (.character("u"), .detail, .undo), (.character("?"), .list, .help),
            (.character(":"), .detail, .commandLine), (.escape, .detail, .back), (.character("q"), .list, .quit),
            (.control("s"), .form, .save), (.control("s"), .formInput, .save), (.control("c"), .formInput, .quit),
            (.character("o"), .list, .sort), (.character("a"), .list, .switchAccount), (.character("x"), .form, .clearField),
        ]
        for (key, context, command) in expected {
            #expect(map.command(for: key, in: context) == command, "\(key) in \(context)")
        }
    }

    @Test func theFooterAndHelpComeFromTheTable() {
        let hints = map.hints(for: .list)
        #expect(hints.contains { $0.keys == "/" && $0.label == "filter" })
        #expect(hints.contains { $0.keys.hasPrefix("Enter") && $0.label == "open" })
        let help = map.help(for: .list)
        #expect(help.contains { $0.keys == "j/↓" && $0.help == "Move down one row." })
        // Every binding of the context appears in its help.
        let commands = Set(map.bindings.filter { $0.contexts.contains(.form) }.map(\.help))
        #expect(Set(map.help(for: .form).map(\.help)) == commands)
    }

    @Test func ctrlCCtrlZAndCtrlLWorkWhateverIsOpen() {
        for context in KeyContext.allCases {
            #expect(map.command(for: .control("c"), in: context) == .quit, "\(context)")
            #expect(map.command(for: .control("z"), in: context) == .suspend, "\(context)")
            #expect(map.command(for: .control("l"), in: context) == .redraw, "\(context)")
        }
    }

    @Test func everyContextHasAWayOut() {
        for context in KeyContext.allCases {
            let exits = map.bindings.filter { $0.contexts.contains(context) && [.quit, .back, .cancel].contains($0.command) }
            #expect(!exits.isEmpty, "\(context)")
        }
    }
}
