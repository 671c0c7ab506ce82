import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only scratch file for paging. Appends collect in memory and go to the page cache
/// with write(2) once `flushThreshold` bytes are pending; reads use pread(2), or the pending
/// bytes themselves. Nothing is fsynced: paged data is not meant to survive a crash (persistent
/// messages are in the message store for that), so paging costs no disk round trips.
final class PagingFile {
    let path: String
    private var fd: Int32 = -1
    /// Bytes already handed to the kernel.
    private var flushed = 0
    private var pending = ByteBuffer()
    let flushThreshold: Int

    init(path: String, flushThreshold: Int) {
        self.path = path
        self.flushThreshold = flushThreshold
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    var size: Int { flushed + pending.readableBytes }

    /// Appends `bytes`; returns their offset in the file.
    func append(_ bytes: ByteBuffer) throws -> Int {
        let offset = size
        var bytes = bytes
        pending.writeBuffer(&bytes)
        if pending.readableBytes >= flushThreshold { try flush() }
        return offset
    }

    func read(at offset: Int, length: Int) throws -> ByteBuffer {
        if offset >= flushed {
            guard let slice = pending.getSlice(at: pending.readerIndex + offset - flushed, length: length) else {
                throw StorageIOError(description: "\(path): read past the end at \(offset)")
            }
            // A copy, not the slice: a slice would keep the whole pending buffer alive.
            var copy = ByteBufferAllocator().buffer(capacity: length)
            copy.writeImmutableBuffer(slice)
            return copy
        }
        if offset + length > flushed { try flush() }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(length)
        var done = 0
        while done < length {
            let count = buffer.withUnsafeMutableWritableBytes { pread(fd, $0.baseAddress!, length - done, off_t(offset + done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw StorageIOError(description: "\(path): read failed at \(offset + done): errno \(errno)")
            }
            buffer.moveWriterIndex(forwardBy: count)
            done += count
        }
        return buffer
    }

    /// Hands pending bytes to the kernel. On failure the file is cut back to what was there, so
    /// offsets handed out stay right, and the bytes stay pending.
    func flush() throws {
        guard pending.readableBytes > 0 else { return }
        if fd < 0 {
            fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw StorageIOError(description: "cannot open \(path): errno \(errno)") }
        }
        let result: Int = pending.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = pwrite(fd, bytes.baseAddress! + offset, bytes.count - offset, off_t(flushed + offset))
                if count < 0 {
                    if errno == EINTR { continue }
                    return -Int(errno)
                }
                offset += count
            }
            return offset
        }
        guard result >= 0 else {
            _ = ftruncate(fd, off_t(flushed))
            throw StorageIOError(description: "\(path): write failed: errno \(-result)")
        }
        flushed += result
        pending.clear()
    }

    /// Flushes and lets go of the pending buffer: nothing more will be appended.
    func seal() throws {
        try flush()
        pending = ByteBuffer()
    }

    /// Closes and deletes the file.
    func remove() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(path)
        flushed = 0
        pending.clear()
    }
}
