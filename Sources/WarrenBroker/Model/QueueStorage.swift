import NIOCore

/// Where a queue keeps its ready messages. The in-memory store is the whole story for now; a
/// store that pages to disk (alpha/beta/gamma/delta) slots in behind the same interface.
protocol QueueStorage {
    var count: Int { get }
    var bytes: Int { get }
    var first: QueueEntry? { get }
    mutating func append(_ entry: QueueEntry)
    mutating func popFirst() -> QueueEntry?
    /// Puts delivered-but-unacked entries back, each at its original position (by sequence).
    mutating func requeue(_ entries: [QueueEntry])
    mutating func removeAll() -> [QueueEntry]
    /// The first `limit` entries, without removing them.
    func peek(_ limit: Int) -> [QueueEntry]
}

struct InMemoryQueueStorage: QueueStorage {
    private var entries = CircularBuffer<QueueEntry>()
    private(set) var bytes = 0

    var count: Int { entries.count }
    var first: QueueEntry? { entries.first }

    mutating func append(_ entry: QueueEntry) {
        bytes += entry.message.bodySize
        entries.append(entry)
    }

    mutating func popFirst() -> QueueEntry? {
        guard let entry = entries.popFirst() else { return nil }
        bytes -= entry.message.bodySize
        return entry
    }

    mutating func requeue(_ requeued: [QueueEntry]) {
        guard !requeued.isEmpty else { return }
        // Requeued entries were taken from the head, so usually all of them belong in front of
        // everything still queued; merge with whatever is queued below the largest of them.
        let sorted = requeued.sorted { $0.sequence < $1.sequence }
        let largest = sorted[sorted.count - 1].sequence
        var front: [QueueEntry] = []
        while let head = entries.first, head.sequence < largest {
            front.append(entries.removeFirst())
        }
        var merged: [QueueEntry] = []
        merged.reserveCapacity(front.count + sorted.count)
        var i = 0
        var j = 0
        while i < front.count || j < sorted.count {
            if j == sorted.count || (i < front.count && front[i].sequence < sorted[j].sequence) {
                merged.append(front[i])
                i += 1
            } else {
                merged.append(sorted[j])
                j += 1
            }
        }
        for entry in requeued { bytes += entry.message.bodySize }
        entries.prepend(contentsOf: merged)
    }

    mutating func removeAll() -> [QueueEntry] {
        let all = Array(entries)
        entries.removeAll(keepingCapacity: false)
        bytes = 0
        return all
    }

    func peek(_ limit: Int) -> [QueueEntry] {
        Array(entries.prefix(limit))
    }
}

extension CircularBuffer {
    mutating func prepend(contentsOf elements: [Element]) {
        for element in elements.reversed() { prepend(element) }
    }
}
