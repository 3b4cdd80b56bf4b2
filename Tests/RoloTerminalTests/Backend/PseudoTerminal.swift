import Foundation
@testable import RoloTerminal

/// A pseudo-terminal for backend tests: the backend drives the slave side as it would the
/// user's terminal; the test types on the master side and reads what the terminal was sent.
final class PseudoTerminal {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let master: Int32
    let slave: Int32
    private var masterOpen = true

    init(width: Int = 80, height: Int = 24) throws {
        master = PTY.open(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Failure(description: "posix_openpt failed: errno \(errno)") }
        guard PTY.grant(master) == 0, PTY.unlock(master) == 0 else {
            close(master)
            throw Failure(description: "grantpt/unlockpt failed: errno \(errno)")
        }
        var name = [CChar](repeating: 0, count: 256)
        guard PTY.name(master, &name, name.count) == 0 else {
            close(master)
            throw Failure(description: "ptsname_r failed: errno \(errno)")
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            close(master)
            throw Failure(description: "cannot open the pty's slave: errno \(errno)")
        }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        resize(width: width, height: height)
    }

    deinit {
        close(slave)
        closeMaster()
    }

    /// Sets the window size, as a terminal emulator does when its window changes (the SIGWINCH
    /// that would follow is up to the test: this process is not the pty's session).
    func resize(width: Int, height: Int) {
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
    }

    /// Types bytes as the terminal would send them.
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }

    /// Closes the terminal's side: what happens when the terminal emulator or SSH goes away.
    func closeMaster() {
        if masterOpen { close(master) }
        masterOpen = false
    }

    /// The settings of the terminal as the program side sees them.
    var settings: termios {
        var settings = termios()
        _ = tcgetattr(slave, &settings)
        return settings
    }

    /// Everything the terminal was sent while `action` ran. A marker written on the program's
    /// side afterwards tells where the output of the action ends, so nothing is timed.
    func received(during action: () throws -> Void) rethrows -> [UInt8] {
        try action()
        let marker = Array("\u{1}end-of-output\u{1}".utf8)
        _ = marker.withUnsafeBufferPointer { write(slave, $0.baseAddress, $0.count) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let end = Self.find(marker, in: bytes) { return Array(bytes[..<end]) }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) >= 0 || errno == EINTR else { break }
            let count = read(master, &buffer, buffer.count)
            if count > 0 { bytes += buffer.prefix(count) }
        }
        return Self.find(marker, in: bytes).map { Array(bytes[..<$0]) } ?? bytes
    }

    /// Reads whatever arrives until `deadline` passes or `done` says enough.
    func collect(until deadline: Date, done: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline, !done(bytes) {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            let count = Foundation.read(master, &buffer, buffer.count)
            if count > 0 { bytes += buffer.prefix(count) }
        }
        return bytes
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

/// The C library's pseudo-terminal calls, which Swift's Glibc module leaves out (they are
/// declared only for _XOPEN_SOURCE): looked up by name.
private enum PTY {
    static let open = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grant = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlock = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let name = function("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)

    private static func function<T>(_ symbol: String, as type: T.Type) -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol) else {
            fatalError("the C library has no \(symbol)")
        }
        return unsafeBitCast(address, to: type)
    }
}

extension Array where Element == UInt8 {
    func contains(_ text: String) -> Bool {
        PseudoTerminal.find(Array(text.utf8), in: self) != nil
    }

    /// The parameters of every SGR sequence (`ESC [ … m`) in the bytes.
    var graphicRenditions: [[Int]] {
        var found: [[Int]] = []
        var index = 0
        while index + 1 < count {
            if self[index] == 0x1B, self[index + 1] == UInt8(ascii: "[") {
                var end = index + 2
                while end < count, (self[end] >= UInt8(ascii: "0") && self[end] <= UInt8(ascii: "9")) || self[end] == UInt8(ascii: ";") {
                    end += 1
                }
                if end < count, self[end] == UInt8(ascii: "m") {
                    let parameters = String(decoding: self[(index + 2)..<end], as: UTF8.self)
                    found.append(parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 })
                }
                index = end
            } else {
                index += 1
            }
        }
        return found
    }
}
