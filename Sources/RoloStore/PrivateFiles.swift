import Foundation

/// Files and folders that hold contact data: readable by their owner only, whatever the umask.
///
/// On a jump host many people share one machine, and a umask of 022 (or 000) would make a new
/// file readable by all of them. So every file rolo creates is made 0600 and every folder 0700
/// explicitly (`fchmod`/`chmod` after creating), not by trusting the mode given to `open`.
public enum PrivateFiles {
    public static let fileMode: mode_t = 0o600
    public static let folderMode: mode_t = 0o700

    /// Creates `path` as a folder, with every missing parent, each 0700. Folders that already
    /// exist are left as they are (a home folder is not rolo's to change).
    public static func makeFolder(_ path: String) throws(PrivateFileError) {
        var missing: [String] = []
        var current = (path as NSString).standardizingPath
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            if mkdir(folder, folderMode) != 0, errno != EEXIST {
                throw PrivateFileError(path: folder, code: errno)
            }
            // mkdir applied the umask; the mode must not depend on it.
            if chmod(folder, folderMode) != 0 { throw PrivateFileError(path: folder, code: errno) }
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw PrivateFileError(path: path, code: ENOTDIR)
        }
    }

    /// Opens `path` for writing, creating it 0600 when it does not exist (and truncating it when
    /// asked). A file rolo creates is made 0600 at once, before anything is written to it.
    /// Returns the descriptor; the caller closes it.
    public static func openForWriting(_ path: String, truncate: Bool = true, append: Bool = false) throws(PrivateFileError) -> Int32 {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC
        if truncate { flags |= O_TRUNC }
        if append { flags |= O_APPEND }
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, flags, fileMode)
        guard descriptor >= 0 else { throw PrivateFileError(path: path, code: errno) }
        if !existed || truncate {
            var status = stat()
            // Only a regular file that is rolo's own: a device or a pipe keeps its mode.
            if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_uid == geteuid(),
               status.st_mode & 0o7777 != fileMode {
                _ = fchmod(descriptor, fileMode)
            }
        }
        return descriptor
    }

    /// Writes a whole file only its owner can read, replacing what was there in one step (a
    /// reader sees the old text or the new, never half): configs and secret files.
    public static func write(_ text: String, to path: String) throws(PrivateFileError) {
        let partial = path + ".partial"
        let descriptor = try openForWriting(partial)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let failure = errno
        close(descriptor)
        guard written == bytes.count else {
            unlink(partial)
            throw PrivateFileError(path: path, code: written < 0 ? failure : EIO)
        }
        guard rename(partial, path) == 0 else {
            let code = errno
            unlink(partial)
            throw PrivateFileError(path: path, code: code)
        }
    }

    /// Creates an empty file 0600 if nothing is at `path`. Returns true when it created one.
    @discardableResult
    public static func createEmptyFile(_ path: String) throws(PrivateFileError) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw PrivateFileError(path: path, code: errno)
        }
        defer { close(descriptor) }
        if fchmod(descriptor, fileMode) != 0 { throw PrivateFileError(path: path, code: errno) }
        return true
    }

    /// Takes group and other permissions away from a file of ours that has them (files made by
    /// an older rolo, which created the cache's `-wal` and `-shm` files 0644). Files of other
    /// owners, and files that are missing, are left alone.
    public static func restrict(_ path: String) {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_uid == geteuid(),
              status.st_mode & 0o077 != 0 else { return }
        _ = chmod(path, status.st_mode & 0o700)
    }
}

/// A file or folder that could not be made, with the system's reason.
public struct PrivateFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let code: Int32

    public init(path: String, code: Int32) {
        self.path = path
        self.code = code
    }

    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(path): \(reason)" }
}
