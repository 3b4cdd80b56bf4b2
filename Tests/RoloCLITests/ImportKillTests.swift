import Foundation
import RoloCore
@testable import RoloStore
import Testing

/// `rolo import` is one transaction, whatever it does inside it (into a new cache it sets some
/// indexes aside and holds its contacts' places until the end): killed half way, it leaves the
/// cache as it was, indexes included, and the same file imports whole afterwards.
@Suite("An import killed half way")
struct ImportKillTests {
    @Test func anImportKilledHalfWayLeavesTheCacheAsItWasWithEveryIndex() throws {
        let rolo = try Rolo()
        #expect(try rolo("list", "--limit", "0", "--tsv").status == 0)
        let indexesBefore = try Self.contactIndexes(rolo.cache)
        #expect(indexesBefore.count >= 8)
        let records = (0..<3000).map { #"{"uid": "k-\#($0)", "first_name": "K\#($0)", "email": "k\#($0)@example.org"}"# }

        // Half the file through a pipe that stays open: the import stores what came and waits
        // for the rest, so it is killed in the middle of its transaction.
        let (read, write) = try Spawned.pipe()
        let child = try Spawned.start(Rolo.binary, ["import", "--format", "json", "-"], environment: rolo.environment,
                                      stdin: .descriptor(read))
        close(read)
        let half = Data(("[\n" + records.prefix(1500).joined(separator: ",\n") + ",\n").utf8)
        let wrote = half.withUnsafeBytes { bytes -> Int in
            var done = 0
            while done < bytes.count {
                let count = Glibc.write(write, bytes.baseAddress! + done, bytes.count - done)
                if count <= 0 { break }
                done += count
            }
            return done
        }
        #expect(wrote == half.count)
        // Until the import has read all of it (the pipe is empty).
        var unread: Int32 = 1
        while unread > 0, child.isRunning() {
            _ = ioctl(write, UInt(FIONREAD), &unread)
            usleep(5_000)
        }
        #expect(child.isRunning(), "the import waits for the rest of the file")
        kill(child.pid, SIGKILL)
        #expect(child.wait() == 128 + SIGKILL)
        close(write)

        let listed = try rolo("list", "--limit", "0", "--tsv")
        #expect(listed.status == 0)
        #expect(listed.stdout.isEmpty, "nothing of the killed import is in the cache")
        #expect(try Self.contactIndexes(rolo.cache) == indexesBefore, "every index of the contacts is there")

        let file = try rolo.file("all.json", "[\n" + records.joined(separator: ",\n") + "\n]\n")
        let imported = try rolo("import", file)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try rolo("list", "--limit", "0", "--tsv").stdout.split(separator: "\n").count == 3000)
        #expect(try rolo("list", "k1499").stdout.contains("K1499"))
        #expect(try Self.contactIndexes(rolo.cache) == indexesBefore)
    }

    static func contactIndexes(_ path: String) throws -> [String] {
        let cache = try LocalCache(path: path, catalog: .standard)
        return try cache.read { db in
            try String.fetchAll(db, sql: "SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact' ORDER BY name")
        }
    }
}
