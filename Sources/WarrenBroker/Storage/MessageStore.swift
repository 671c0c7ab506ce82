import NIOCore

/// The message store's bookkeeping, kept on the broker's event loop: which segment file holds
/// each stored message, how many queue entries refer to it, and how much of each segment is still
/// live. It decides what to write, delete and compact; ``DiskWriter`` does the file work.
///
/// A message routed to several durable queues is stored once: every queue entry adds a
/// reference, and the body's record dies when the last reference goes.
struct MessageStore {
    struct Entry {
        var segment: UInt32
        /// Bytes of the framed record in its segment.
        var size: Int
        var references: Int
    }

    struct Segment {
        var totalBytes = 0
        var liveBytes = 0
        var ids = Set<UInt64>()
    }

    enum Action: Equatable {
        case write(segment: UInt32, id: UInt64)
        case delete(segment: UInt32)
        /// Copy the records of `keep` from `segment` into `into`, then delete `segment`.
        case compact(segment: UInt32, keep: Set<UInt64>, into: UInt32)
    }

    let segmentSize: Int
    private(set) var entries: [UInt64: Entry] = [:]
    private(set) var segments: [UInt32: Segment] = [:]
    private(set) var currentSegment: UInt32
    private(set) var nextID: UInt64
    /// Payload bytes handed out to be written, for tests and statistics.
    private(set) var bytesStored = 0

    init(segmentSize: Int = 16 * 1024 * 1024, currentSegment: UInt32 = 1, nextID: UInt64 = 1) {
        self.segmentSize = segmentSize
        self.currentSegment = currentSegment
        self.nextID = nextID
        segments[currentSegment] = Segment()
    }

    /// Adds a reference to the stored copy of `message`, storing it first if it has none: then
    /// the payload to append to the current segment comes back with the id.
    mutating func reference(_ message: Message) -> (id: UInt64, payload: ByteBuffer?, actions: [Action]) {
        if let id = message.storeID, entries[id] != nil {
            entries[id]!.references += 1
            return (id, nil, [])
        }
        let id = nextID
        nextID += 1
        let payload = StoredMessage.encode(id: id, message)
        let size = payload.readableBytes + RecordFormat.headerSize
        var actions: [Action] = []
        if segments[currentSegment]!.totalBytes > 0 && segments[currentSegment]!.totalBytes + size > segmentSize {
            actions += roll()
        }
        entries[id] = Entry(segment: currentSegment, size: size, references: 1)
        segments[currentSegment]!.totalBytes += size
        segments[currentSegment]!.liveBytes += size
        segments[currentSegment]!.ids.insert(id)
        bytesStored += payload.readableBytes
        message.storeID = id
        actions.append(.write(segment: currentSegment, id: id))
        return (id, payload, actions)
    }

    /// Drops one reference; a segment left without live messages is deleted, one less than half
    /// live is compacted into the current segment.
    mutating func release(_ id: UInt64) -> [Action] {
        guard var entry = entries[id] else { return [] }
        entry.references -= 1
        guard entry.references <= 0 else {
            entries[id] = entry
            return []
        }
        entries[id] = nil
        segments[entry.segment]?.liveBytes -= entry.size
        segments[entry.segment]?.ids.remove(id)
        return tidy(entry.segment)
    }

    private mutating func roll() -> [Action] {
        let previous = currentSegment
        currentSegment += 1
        segments[currentSegment] = Segment()
        return tidy(previous)
    }

    private mutating func tidy(_ number: UInt32) -> [Action] {
        guard number != currentSegment, let segment = segments[number] else { return [] }
        if segment.ids.isEmpty {
            segments[number] = nil
            return [.delete(segment: number)]
        }
        guard segment.liveBytes * 2 < segment.totalBytes else { return [] }
        segments[number] = nil
        for id in segment.ids { entries[id]!.segment = currentSegment }
        segments[currentSegment]!.totalBytes += segment.liveBytes
        segments[currentSegment]!.liveBytes += segment.liveBytes
        segments[currentSegment]!.ids.formUnion(segment.ids)
        return [.compact(segment: number, keep: segment.ids, into: currentSegment)]
    }

    // MARK: Recovery

    /// Records a message found on disk with the number of live queue entries that refer to it.
    mutating func restore(id: UInt64, segment: UInt32, size: Int, references: Int) {
        entries[id] = Entry(segment: segment, size: size, references: references)
        segments[segment, default: Segment()].liveBytes += size
        segments[segment, default: Segment()].ids.insert(id)
        nextID = max(nextID, id + 1)
    }

    /// Sets a recovered segment's size on disk; returns what to delete or compact.
    mutating func restoreSegment(_ number: UInt32, totalBytes: Int) -> [Action] {
        segments[number, default: Segment()].totalBytes = totalBytes
        return tidy(number)
    }
}
