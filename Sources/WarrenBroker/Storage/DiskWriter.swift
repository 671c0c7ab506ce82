import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file operation of a batch. Payloads are framed (length + CRC32) by the writer.
enum DiskOp: Sendable {
    case append(path: String, payloads: [ByteBuffer])
    /// Writes a new file beside the old one, fsyncs it and renames it over the old one.
    case replace(path: String, payloads: [ByteBuffer])
    case delete(path: String)
    /// Copies the records of the listed messages from one store segment to the end of another,
    /// then deletes the first.
    case compact(source: String, keep: Set<UInt64>, into: String)
}

struct StorageIOError: Error, CustomStringConvertible {
    var description: String
}

/// Performs batches of ``DiskOp``s with plain POSIX calls on the storage thread, never on the
/// event loop: appends are gathered per file and written once, then every file touched is
/// fsynced before the batch counts as done (group commit).
final class DiskWriter: @unchecked Sendable {
    // Only used from the storage thread (or before it starts, during recovery).
    private var handles: [String: Int32] = [:]
    private var lockFile: Int32 = -1

    deinit {
        closeAll()
    }

    /// Closes every file and gives up the directory lock (once no batch can run any more).
    func closeAll() {
        for fd in handles.values { close(fd) }
        handles = [:]
        if lockFile >= 0 { close(lockFile) }
        lockFile = -1
    }

    /// Takes `directory/lock` for as long as this writer lives (the kernel drops it if the
    /// process dies), so two brokers never write the same data directory.
    func lock(_ directory: String) throws {
        let fd = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageIOError(description: "cannot open \(directory)/lock: errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StorageIOError(description: "data directory \(directory) is in use by another broker")
        }
        lockFile = fd
    }

    /// Runs the batch; returns the bytes written.
    func perform(_ ops: [DiskOp]) throws -> Int {
        var pending: [String: ByteBuffer] = [:]
        var order: [String] = []
        var dirty = Set<String>()
        var written = 0
        func flush(_ path: String) throws {
            guard let buffer = pending.removeValue(forKey: path) else { return }
            try writeAll(buffer, to: try handle(path))
            written += buffer.readableBytes
            dirty.insert(path)
        }
        for op in ops {
            switch op {
            case .append(let path, let payloads):
                if pending[path] == nil {
                    pending[path] = ByteBuffer()
                    order.append(path)
                }
                for payload in payloads { RecordFormat.write(payload, into: &pending[path]!) }
            case .replace(let path, let payloads):
                try flush(path)
                written += try replace(path, payloads)
                dirty.remove(path)
            case .delete(let path):
                pending[path] = nil
                dirty.remove(path)
                closeHandle(path)
                unlink(path)
            case .compact(let source, let keep, let into):
                try flush(into)
                try flush(source)
                written += try copyRecords(from: source, keeping: keep, to: handle(into))
                try sync(handle(into))
                closeHandle(source)
                unlink(source)
            }
        }
        for path in order where pending[path] != nil { try flush(path) }
        for path in dirty { try sync(handle(path)) }
        return written
    }

    /// Appends the records of `source` whose message is in `keep` to `fd`, a megabyte at a time
    /// so compacting a 16 MiB segment does not hold it in RAM. Reading stops at the first record
    /// that is torn or corrupt, as recovery does. Returns the bytes written.
    private func copyRecords(from source: String, keeping keep: Set<UInt64>, to fd: Int32) throws -> Int {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return 0 }
        defer { close(input) }
        // A compaction that fails part way leaves its target as it was (the source stays).
        let length = lseek(fd, 0, SEEK_END)
        do {
            return try copyRecords(from: input, keeping: keep, to: fd)
        } catch {
            if length >= 0 { _ = ftruncate(fd, length) }
            throw error
        }
    }

    private func copyRecords(from input: Int32, keeping keep: Set<UInt64>, to fd: Int32) throws -> Int {
        let chunk = 1 << 20
        var carry = ByteBuffer()
        var copy = ByteBuffer()
        var written = 0
        while true {
            carry.reserveCapacity(minimumWritableBytes: chunk)
            let count = carry.withUnsafeMutableWritableBytes { read(input, $0.baseAddress!, chunk) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            carry.moveWriterIndex(forwardBy: count)
            let scan = RecordFormat.scan(carry)
            for record in scan.records {
                if let id = StoredMessage.id(of: record), keep.contains(id) { RecordFormat.write(record, into: &copy) }
            }
            carry.moveReaderIndex(forwardBy: scan.validLength)
            carry.discardReadBytes()
            if copy.readableBytes >= chunk {
                try writeAll(copy, to: fd)
                written += copy.readableBytes
                copy.clear()
            }
        }
        try writeAll(copy, to: fd)
        return written + copy.readableBytes
    }

    private func handle(_ path: String) throws -> Int32 {
        if let fd = handles[path] { return fd }
        let existed = access(path, F_OK) == 0
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageIOError(description: "cannot open \(path): errno \(errno)") }
        handles[path] = fd
        if !existed { Self.syncDirectory(of: path) }
        return fd
    }

    private func closeHandle(_ path: String) {
        if let fd = handles.removeValue(forKey: path) { close(fd) }
    }

    /// Appends all of `buffer`. If that fails part way (a full disk), the file is cut back to
    /// the length it had, so no torn record is left in the middle of a file: recovery stops at the
    /// first torn record, and records appended after it once space was found again, confirmed
    /// ones among them, would be lost.
    private func writeAll(_ buffer: ByteBuffer, to fd: Int32) throws {
        let length = lseek(fd, 0, SEEK_END)
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let result = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    let failure = errno
                    if length >= 0 { _ = ftruncate(fd, length) }
                    throw StorageIOError(description: "write failed: errno \(failure)")
                }
                offset += result
            }
        }
    }

    private func sync(_ fd: Int32) throws {
        guard fsync(fd) == 0 else { throw StorageIOError(description: "fsync failed: errno \(errno)") }
    }

    private func replace(_ path: String, _ payloads: [ByteBuffer]) throws -> Int {
        closeHandle(path)
        var buffer = ByteBuffer()
        for payload in payloads { RecordFormat.write(payload, into: &buffer) }
        let temporary = path + ".tmp"
        // Owner only: the definitions hold users' passwords.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageIOError(description: "cannot open \(temporary): errno \(errno)") }
        defer { close(fd) }
        try writeAll(buffer, to: fd)
        try sync(fd)
        guard rename(temporary, path) == 0 else {
            throw StorageIOError(description: "cannot rename \(temporary): errno \(errno)")
        }
        Self.syncDirectory(of: path)
        return buffer.readableBytes
    }

    /// Makes a created, renamed or deleted directory entry durable.
    static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// A whole file, or nil if it does not exist.
    static func readFile(_ path: String) throws -> ByteBuffer? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StorageIOError(description: "cannot open \(path): errno \(errno)")
        }
        defer { close(fd) }
        var buffer = ByteBuffer()
        while true {
            buffer.reserveCapacity(minimumWritableBytes: 1 << 20)
            let count = buffer.withUnsafeMutableWritableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StorageIOError(description: "read failed: errno \(errno)")
            }
            if count == 0 { return buffer }
            buffer.moveWriterIndex(forwardBy: count)
        }
    }

    /// Names of the entries in a directory (empty if it does not exist).
    static func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StorageIOError(description: "cannot create \(current): errno \(errno)")
            }
        }
    }
}
