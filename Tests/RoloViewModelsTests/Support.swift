import RoloCore
import RoloSync
import RoloTestFixtures
@testable import RoloViewModels

func makeModel(_ service: RoloServices? = nil, width: Int = 80, height: Int = 24, readOnly: Bool = false,
               account: String? = "local") throws -> AppModel {
    try AppModel(services: AppServices(service ?? Fixture.service()), size: Size(width: width, height: height),
                 options: AppOptions(readOnly: readOnly, account: account, now: Fixture.clock))
}

extension AppModel {
    /// Presses keys in order; returns every effect they asked for.
    @discardableResult
    func press(_ keys: Key...) -> [Effect] {
        keys.flatMap { handle(.key($0)) }
    }

    /// Types text one character at a time, as a person would.
    @discardableResult
    func type(_ text: String) -> [Effect] {
        text.flatMap { handle(.key(.character($0))) }
    }

    /// Runs `:command`.
    @discardableResult
    func command(_ text: String) -> [Effect] {
        press(.character(":"))
        type(text)
        return press(.enter)
    }

    /// Runs the background counts the model asked for, as the runtime would.
    func runCounts(_ effects: [Effect]) { runBackgroundWork(effects) }

    var selectedName: String? { list.selected?.displayName }
    var names: [String] { list.rows.map(\.displayName) }

    func focusField(_ key: FieldKey) {
        guard let index = form?.fields.firstIndex(where: { $0.key == key }) else { return }
        let steps = index - form!.focus
        for _ in 0..<abs(steps) { press(steps > 0 ? .down : .up) }
    }
}
