import Foundation

/// Bytes read a piece at a time: a file, a pipe (`rolo import <(cmd)`), stdin, or data already
/// in memory. Readers that stream ask for the next piece only when they have used the last one,
/// so a file of a million contacts is never held whole.
public protocol ByteSource {
    /// Fills `buffer` from the start with up to `buffer.count` bytes; returns how many, 0 at
    /// the end. Throws when the source cannot be read.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// An open file descriptor (a file, a pipe, a device). The descriptor stays the caller's.
public struct FileDescriptorSource: ByteSource {
    public let descriptor: Int32
    /// Named in errors.
    public let name: String

    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteSourceError(message: "cannot read \(name): \(String(cString: strerror(errno)))")
        }
    }
}

/// Bytes already in memory.
public struct DataSource: ByteSource {
    private let data: Data
    private var offset: Int

    public init(_ data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, data.endIndex - offset)
        guard count > 0 else { return 0 }
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<offset + count)
        offset += count
        return count
    }
}

/// A source that could not be read (the message names it).
public struct ByteSourceError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A source that counts the bytes read from it, for a progress bar: the count can be read
/// from any thread while another reads the source.
/// A source that reads another one (see `CountedSource`).
public protocol WrappingByteSource: ByteSource {
    /// The source read: whether its reads can wait (a pipe) is its own.
    var wrapped: any ByteSource { get }
}

public struct CountedSource<Base: ByteSource>: WrappingByteSource {
    private var base: Base
    public let counter: ByteCounter

    public var wrapped: any ByteSource { base }

    public init(_ base: Base, counter: ByteCounter = ByteCounter()) {
        self.base = base
        self.counter = counter
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try base.read(into: buffer)
        counter.add(count)
        return count
    }
}

/// Bytes read so far (see `CountedSource`).
public final class ByteCounter: @unchecked Sendable {
    // @unchecked: `total` is only read and written under `lock`.
    private let lock = NSLock()
    private var total = 0

    public init() {}

    public var count: Int { lock.withLock { total } }

    func add(_ count: Int) { lock.withLock { total += count } }
}
