import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where queues put what they page out of RAM: message bodies (RabbitMQ's transient message
/// store) and the positions of delta runs (its queue index pages). Lives on the broker's event
/// loop; its files are scratch, written without fsync and wiped when the broker starts or stops.
///
/// A message paged out of several queues is written once: each queue slot or delta record that
/// refers to it holds a reference, and a segment file is deleted when its last record dies.
final class PagingStore {
    private struct Record {
        var segment: UInt32
        var offset: Int
        var length: Int
        var references: Int
    }

    private struct Segment {
        var file: PagingFile
        var live = 0
    }

    /// The directory holding the files, made on first use: nil until something is paged.
    private(set) var directory: String?
    private let base: String?
    let segmentSize: Int
    private var records: [UInt64: Record] = [:]
    private var segments: [UInt32: Segment] = [:]
    private var current: UInt32?
    private var nextSegment: UInt32 = 1
    private var nextID: UInt64 = 1
    private var nextSpill = 1
    /// Message bytes written and read back, for tests and statistics.
    private(set) var bytesWritten = 0
    private(set) var bytesRead = 0

    /// `base` is the data directory (paging goes to `base/paging`); without one a temporary
    /// directory is made when first needed.
    init(base: String?, segmentSize: Int = 16 * 1024 * 1024) {
        self.base = base
        self.segmentSize = segmentSize
        if let base { Self.wipe(Self.directory(in: base)) }
    }

    static func directory(in base: String) -> String { base + "/paging" }

    /// Where a temporary paging directory goes without a data directory: $TMPDIR or /tmp.
    static var temporaryRoot: String { getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp" }

    /// Messages with at least one reference.
    var messageCount: Int { records.count }
    /// Segment files that exist now.
    var segmentCount: Int { segments.count }

    private func ensureDirectory() throws -> String {
        if let directory { return directory }
        let path: String
        if let base {
            path = Self.directory(in: base)
            try DiskWriter.makeDirectory(path)
        } else {
            let root = Self.temporaryRoot
            var template = Array((root + "/warren-paging-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw StorageIOError(description: "cannot create a paging directory in \(root): errno \(errno)")
            }
            path = String(cString: made)
        }
        directory = path
        return path
    }

    // MARK: Message bodies

    /// Adds a reference to the paged copy of `message`, writing it first if it has none.
    func page(_ message: Message) throws -> UInt64 {
        if let id = message.pagedID, records[id] != nil {
            records[id]!.references += 1
            return id
        }
        let id = nextID
        let payload = StoredMessage.encode(id: id, message)
        let number = try segmentFor(payload.readableBytes)
        let offset = try segments[number]!.file.append(payload)
        nextID += 1
        records[id] = Record(segment: number, offset: offset, length: payload.readableBytes, references: 1)
        segments[number]!.live += 1
        bytesWritten += payload.readableBytes
        message.pagedID = id
        return id
    }

    private func segmentFor(_ length: Int) throws -> UInt32 {
        if let current, let segment = segments[current], segment.file.size == 0 || segment.file.size + length <= segmentSize {
            return current
        }
        let directory = try ensureDirectory()
        if let previous = current {
            if segments[previous]?.live == 0 { drop(previous) } else { try segments[previous]?.file.seal() }
        }
        let number = nextSegment
        nextSegment += 1
        segments[number] = Segment(file: PagingFile(path: directory + "/" + String(number) + ".page",
                                                    flushThreshold: 256 * 1024))
        current = number
        return number
    }

    /// Reads a paged message back. The reference stays: release it when the slot lets go.
    func load(_ id: UInt64) throws -> Message {
        guard let record = records[id], let segment = segments[record.segment] else {
            throw StorageIOError(description: "paged message \(id) is missing")
        }
        let payload = try segment.file.read(at: record.offset, length: record.length)
        guard let (storedID, message) = StoredMessage.decode(payload), storedID == id else {
            throw StorageIOError(description: "paged message \(id) in \(segment.file.path) is unreadable")
        }
        bytesRead += record.length
        message.pagedID = id
        return message
    }

    func retain(_ id: UInt64) {
        records[id]?.references += 1
    }

    /// Drops a reference; the last one frees the record, and an emptied segment is deleted.
    func release(_ id: UInt64) {
        guard var record = records[id] else { return }
        record.references -= 1
        guard record.references <= 0 else {
            records[id] = record
            return
        }
        records[id] = nil
        segments[record.segment]?.live -= 1
        if segments[record.segment]?.live == 0 { drop(record.segment) }
    }

    private func drop(_ number: UInt32) {
        segments.removeValue(forKey: number)?.file.remove()
        if current == number { current = nil }
    }

    // MARK: Queue index pages

    /// A new file for one queue's delta run.
    func makeSpillFile() throws -> PagingFile {
        let directory = try ensureDirectory()
        defer { nextSpill += 1 }
        return PagingFile(path: directory + "/" + String(nextSpill) + ".delta", flushThreshold: 16 * 1024)
    }

    // MARK: Lifecycle

    /// Deletes every file (the broker is stopping).
    deinit {
        close()
    }

    func close() {
        for segment in segments.values { segment.file.remove() }
        segments = [:]
        records = [:]
        current = nil
        if let directory {
            Self.wipe(directory)
            if base == nil { rmdir(directory) }
        }
        directory = nil
    }

    /// Removes what an earlier run left behind.
    private static func wipe(_ directory: String) {
        for name in DiskWriter.list(directory) { unlink(directory + "/" + name) }
    }
}
