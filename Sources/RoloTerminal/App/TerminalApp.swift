import Foundation
import RoloCore
import RoloViewModels

/// The TUI's loop: draw the model, wait for an event, let the model handle it, do the effects
/// it asks for. Slow work (counting a million matches, a sync) runs on another thread and
/// comes back as an event, so keys are never kept waiting.
public enum TerminalApp {
    /// How the TUI ended, as an exit status: 0 quit, 129 hang-up, 143 terminated.
    public static func run(services: AppServices, options: AppOptions, backendOptions: BackendOptions) throws -> Int32 {
        let backend = try CursesBackend(options: backendOptions)
        defer { backend.shutdown() }
        let model = try AppModel(services: services, size: backend.size, options: options)
        if let warning = backend.startupWarning { model.notify(warning, tone: .warning) }
        if let note = backend.lastingNote { model.keepOnScreen(note) }
        let waker = Waker(backend)
        let inbox = Inbox(wake: { waker.wake() })
        let background = BackgroundWork(services: services, inbox: inbox)
        let frames = FrameLog(path: ProcessInfo.processInfo.environment["ROLO_FRAME_LOG"])
        /// Does what the model asked for; returns the exit status when it asked to quit.
        func perform(_ effects: [Effect]) -> Int32? {
            var pending = effects
            while !pending.isEmpty {
                let effect = pending.removeFirst()
                switch effect {
                case .quit:
                    return 0
                case .count(let generation, let scope, let query):
                    background.count(generation: generation, scope: scope, query: query)
                case .locate(let generation, let scope, let query, let order, let cursor):
                    background.locate(generation: generation, scope: scope, query: query, order: order, cursor: cursor)
                case .editExternally(let field, let text, let error):
                    let result = backend.suspend { ExternalEditor.edit(text, field: field, error: error) }
                    pending += model.handle(.externalEdit(field: field, text: result.text, message: result.problem))
                case .suspend:
                    backend.suspendToShell()
                case .redraw:
                    backend.invalidate()
                case .sync(let scope):
                    background.sync(scope: scope)
                case .fetch(let accountID, let key):
                    background.fetch(accountID: accountID, key: key)
                }
            }
            return nil
        }

        // The first tick: an account that syncs on start starts now.
        if let status = perform(model.handle(.tick)) { return status }
        while true {
            backend.draw(Screen.render(model))
            frames.frameDrawn()
            let event = backend.nextEvent(timeoutMilliseconds: 1000)
            var effects: [Effect] = []
            switch event {
            case .key(let key):
                frames.keyReceived()
                effects = model.handle(.key(key))
            case .resize(let size):
                effects = model.handle(.resize(size))
            case .wake:
                for message in inbox.drain() { effects += model.handle(message) }
            case .timeout:
                effects = model.handle(.tick)
            case .refusedInput:
                model.notify("Only ASCII can be typed: this terminal's locale is not UTF-8. Run LANG=C.UTF-8 rolo", tone: .warning)
            case .hangup:
                // The terminal is gone; every edit and draft is already in the cache.
                return 129
            case .terminate:
                return 143
            }
            if let status = perform(effects) { return status }
        }
    }
}

/// Lets another thread wake the loop (the wake-up is a write to a pipe, safe from any thread).
struct Waker: @unchecked Sendable {
    let backend: CursesBackend
    init(_ backend: CursesBackend) { self.backend = backend }
    func wake() { backend.wake() }
}

/// With `ROLO_FRAME_LOG=path`, records when the first frame was finished (`first <ns>`, on
/// CLOCK_MONOTONIC, which the benchmark compares with the moment it started rolo) and the
/// time from each key to its finished frame (`key <µs>`) — what `make bench` reads to
/// measure start-up and keystroke latency in the real program.
final class FrameLog {
    private let handle: FileHandle?
    private var keyAt: UInt64?
    private var firstFrameWritten = false

    init(path: String?) {
        guard let path, !path.isEmpty else {
            handle = nil
            return
        }
        // 0600 whatever the umask, like every file rolo creates.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if descriptor >= 0 { _ = fchmod(descriptor, 0o600) }
        handle = descriptor >= 0 ? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true) : nil
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    func keyReceived() {
        if handle != nil { keyAt = Self.monotonicNanoseconds() }
    }

    func frameDrawn() {
        guard let handle else { return }
        let now = Self.monotonicNanoseconds()
        if !firstFrameWritten {
            firstFrameWritten = true
            try? handle.write(contentsOf: Data("first \(now)\n".utf8))
        }
        guard let start = keyAt else { return }
        try? handle.write(contentsOf: Data("key \((now - start) / 1000)\n".utf8))
        keyAt = nil
    }
}
