import NIOCore

/// A durable queue's index: which stored message sits at each position, and whether it was
/// delivered. On disk it is a log of records (see ``RecordFormat``) with these payloads:
///
///     publish: 1, position: UInt64, message id: UInt64, expires at (Unix ms, 0 = never): Int64
///     deliver: 2, position: UInt64
///     ack:     3, position: UInt64   (the message left the queue: acked, dropped, dead-lettered)
///
/// Replaying the log gives the messages still in the queue, in order; those with a deliver record
/// come back as redelivered.
struct QueueIndex {
    struct Entry: Equatable {
        var messageID: UInt64
        var delivered = false
        var expiresAt: Int64 = 0
    }

    enum Kind: UInt8 {
        case publish = 1, deliver = 2, ack = 3
    }

    private(set) var live: [UInt64: Entry] = [:]
    /// Records in the file now; compared with `live.count` to decide when to rewrite it.
    private(set) var recordsInFile = 0

    init() {}

    init(recovered: [(position: UInt64, entry: Entry)]) {
        for (position, entry) in recovered { live[position] = entry }
        recordsInFile = recovered.count + recovered.filter(\.entry.delivered).count
    }

    mutating func publish(_ position: UInt64, messageID: UInt64, expiresAt: Int64 = 0) -> ByteBuffer {
        live[position] = Entry(messageID: messageID, expiresAt: expiresAt)
        recordsInFile += 1
        var buffer = ByteBuffer()
        buffer.writeInteger(Kind.publish.rawValue)
        buffer.writeInteger(position)
        buffer.writeInteger(messageID)
        buffer.writeInteger(expiresAt)
        return buffer
    }

    /// The record to write, or nil if the position is not in the index or already delivered.
    mutating func deliver(_ position: UInt64) -> ByteBuffer? {
        guard let entry = live[position], !entry.delivered else { return nil }
        live[position]!.delivered = true
        recordsInFile += 1
        return Self.record(.deliver, position)
    }

    /// The record to write and the message whose reference is released, or nil if unknown.
    mutating func ack(_ position: UInt64) -> (record: ByteBuffer, messageID: UInt64)? {
        guard let entry = live.removeValue(forKey: position) else { return nil }
        recordsInFile += 1
        return (Self.record(.ack, position), entry.messageID)
    }

    /// True when the file holds far more records than live entries: time to rewrite it.
    var wantsRewrite: Bool {
        recordsInFile > 4096 && recordsInFile > 4 * (live.count + 1)
    }

    /// The records of a compact file with the same content; resets the record count.
    mutating func rewrite() -> [ByteBuffer] {
        let records = Self.records(for: live.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        recordsInFile = records.count
        return records
    }

    static func records(for entries: [(position: UInt64, entry: Entry)]) -> [ByteBuffer] {
        var index = QueueIndex()
        var records: [ByteBuffer] = []
        for (position, entry) in entries {
            records.append(index.publish(position, messageID: entry.messageID, expiresAt: entry.expiresAt))
            if entry.delivered, let record = index.deliver(position) { records.append(record) }
        }
        return records
    }

    private static func record(_ kind: Kind, _ position: UInt64) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(position)
        return buffer
    }

    /// The entries still in the queue after these records, in queue order. Unknown or
    /// malformed records are skipped.
    static func replay(_ records: [ByteBuffer]) -> [(position: UInt64, entry: Entry)] {
        var live: [UInt64: Entry] = [:]
        for var record in records {
            guard let raw = record.readInteger(as: UInt8.self), let kind = Kind(rawValue: raw),
                  let position = record.readInteger(as: UInt64.self)
            else { continue }
            switch kind {
            case .publish:
                guard let id = record.readInteger(as: UInt64.self), let expiresAt = record.readInteger(as: Int64.self)
                else { continue }
                live[position] = Entry(messageID: id, expiresAt: expiresAt)
            case .deliver:
                live[position]?.delivered = true
            case .ack:
                live[position] = nil
            }
        }
        return live.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
