import NIOCore

/// The framing shared by every file the broker writes: message store segments, queue indexes and
/// the definitions file. A record is
///
///     length: UInt32 (big endian, > 0)   crc32(payload): UInt32   payload: length bytes
///
/// Files are only ever appended to (or replaced whole), so a crash can leave at most a torn
/// record at the tail; reading stops at the first record that is short or fails its checksum.
enum RecordFormat {
    static let headerSize = 8
    /// Larger than any message the broker accepts (128 MiB) plus its metadata.
    static let maximumPayload = 192 * 1024 * 1024

    /// Appends one framed record.
    static func write(_ payload: ByteBuffer, into buffer: inout ByteBuffer) {
        precondition(payload.readableBytes > 0, "records are never empty")
        buffer.writeInteger(UInt32(payload.readableBytes))
        buffer.writeInteger(payload.withUnsafeReadableBytes { CRC32.checksum($0) })
        var payload = payload
        buffer.writeBuffer(&payload)
    }

    /// The outcome of reading a file: its complete records and where the valid part ends.
    struct Scan {
        var records: [ByteBuffer] = []
        /// Bytes covered by complete, intact records.
        var validLength = 0
        /// Bytes after the last good record (a torn or corrupt tail), dropped.
        var droppedBytes = 0
    }

    static func scan(_ file: ByteBuffer) -> Scan {
        var result = Scan()
        var buffer = file
        while buffer.readableBytes >= headerSize {
            let start = buffer.readerIndex
            let length = Int(buffer.getInteger(at: start, as: UInt32.self)!)
            let crc = buffer.getInteger(at: start + 4, as: UInt32.self)!
            guard length > 0, length <= maximumPayload, buffer.readableBytes - headerSize >= length,
                  let payload = buffer.getSlice(at: start + headerSize, length: length),
                  payload.withUnsafeReadableBytes({ CRC32.checksum($0) }) == crc
            else { break }
            result.records.append(payload)
            buffer.moveReaderIndex(forwardBy: headerSize + length)
        }
        result.validLength = buffer.readerIndex - file.readerIndex
        result.droppedBytes = buffer.readableBytes
        return result
    }
}
