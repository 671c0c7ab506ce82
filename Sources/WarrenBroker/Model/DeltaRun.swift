import NIOCore

/// A queue's delta run: positions of paged-out messages held only on disk, in queue order, in a
/// scratch file of fixed-size records. The run grows at its end and is read back from its start;
/// once it is used up the file goes. Each record owns the paging-store reference its slot held.
///
///     sequence u64 | paged id u64 | body size u32 | flags u32 | delivery count i64 | expiry i64
///
/// flags: 1 persistent, 2 redelivered, 4 has an expiry (the loop's uptime in nanoseconds).
struct DeltaRun {
    private(set) var count = 0
    private(set) var bytes = 0
    private(set) var persistentCount = 0
    private(set) var persistentBytes = 0
    /// The sequence number of the run's first message (the smallest: the run is in order).
    private(set) var firstSequence: UInt64 = 0
    private var file: PagingFile?
    private var readOffset = 0

    static let recordSize = 40

    /// Appends positions of paged slots; false (and nothing written) if the file cannot be.
    mutating func append(_ slots: [QueueStorage.Slot], store pager: Pager) -> Bool {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(slots.count * Self.recordSize)
        for slot in slots {
            guard case .paged(let id) = slot.body else { preconditionFailure("only paged slots join a delta run") }
            var flags: UInt32 = 0
            if slot.persistent { flags |= 1 }
            if slot.redelivered { flags |= 2 }
            if slot.expiresAt != nil { flags |= 4 }
            buffer.writeInteger(slot.sequence)
            buffer.writeInteger(id)
            buffer.writeInteger(UInt32(slot.size))
            buffer.writeInteger(flags)
            buffer.writeInteger(slot.deliveryCount)
            buffer.writeInteger(slot.expiresAt.map { $0.uptimeNanoseconds } ?? 0)
        }
        do {
            if file == nil { file = try pager.store.makeSpillFile() }
            _ = try file!.append(buffer)
        } catch {
            pager.failed(error)
            return false
        }
        if count == 0, let first = slots.first { firstSequence = first.sequence }
        for slot in slots {
            count += 1
            bytes += slot.size
            if slot.persistent {
                persistentCount += 1
                persistentBytes += slot.size
            }
        }
        return true
    }

    private func read(_ limit: Int, skipping: Int = 0) throws -> [QueueStorage.Slot] {
        let take = min(limit, count - skipping)
        guard take > 0, let file else { return [] }
        var buffer = try file.read(at: readOffset + skipping * Self.recordSize, length: take * Self.recordSize)
        var slots: [QueueStorage.Slot] = []
        slots.reserveCapacity(take)
        for _ in 0..<take {
            guard let sequence = buffer.readInteger(as: UInt64.self), let id = buffer.readInteger(as: UInt64.self),
                  let size = buffer.readInteger(as: UInt32.self), let flags = buffer.readInteger(as: UInt32.self),
                  let deliveries = buffer.readInteger(as: Int64.self), let expiry = buffer.readInteger(as: UInt64.self)
            else { throw StorageIOError(description: "\(file.path): short delta record") }
            slots.append(QueueStorage.Slot(paged: id, sequence: sequence, size: Int(size), persistent: flags & 1 != 0,
                                           redelivered: flags & 2 != 0, deliveryCount: deliveries,
                                           expiresAt: flags & 4 != 0 ? NIODeadline.uptimeNanoseconds(expiry) : nil))
        }
        return slots
    }

    /// The first `limit` positions, left in the run (their references stay with it).
    func peek(_ limit: Int) throws -> [QueueStorage.Slot] {
        try read(limit)
    }

    /// Removes and returns up to `limit` positions from the start of the run, as gammas.
    mutating func take(_ limit: Int, store pager: Pager) throws -> [QueueStorage.Slot] {
        let slots = try read(limit)
        readOffset += slots.count * Self.recordSize
        for slot in slots {
            count -= 1
            bytes -= slot.size
            if slot.persistent {
                persistentCount -= 1
                persistentBytes -= slot.size
            }
        }
        if count == 0 {
            close()
        } else {
            firstSequence = try read(1).first?.sequence ?? 0
        }
        return slots
    }

    /// Empties the run; returns what it held, as far as it can still be read.
    mutating func discard(store pager: Pager) -> (sequences: [UInt64], ids: [UInt64]) {
        var sequences: [UInt64] = []
        var ids: [UInt64] = []
        do {
            while sequences.count < count {
                for slot in try read(65536, skipping: sequences.count) {
                    sequences.append(slot.sequence)
                    if case .paged(let id) = slot.body { ids.append(id) }
                }
            }
        } catch {
            pager.failed(error)
        }
        count = 0
        bytes = 0
        persistentCount = 0
        persistentBytes = 0
        close()
        return (sequences, ids)
    }

    private mutating func close() {
        file?.remove()
        file = nil
        readOffset = 0
    }
}
