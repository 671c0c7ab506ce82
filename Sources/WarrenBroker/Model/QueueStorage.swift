import NIOCore

/// Where a queue keeps its ready messages. The in-memory store is the whole story for now; a
/// store that pages to disk (alpha/beta/gamma/delta) slots in behind the same interface.
protocol QueueStorage {
    var count: Int { get }
    var bytes: Int { get }
    /// Ready messages with delivery mode 2, and their body bytes.
    var persistentCount: Int { get }
    var persistentBytes: Int { get }
    /// Ready messages per paging state (alpha, beta, gamma, delta), for the management API.
    var stateCounts: MessageStateCounts { get }
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
    private(set) var persistentCount = 0
    private(set) var persistentBytes = 0

    var count: Int { entries.count }
    var first: QueueEntry? { entries.first }
    /// Everything held in memory is an alpha: message and position both in RAM.
    var stateCounts: MessageStateCounts { MessageStateCounts(alpha: entries.count) }

    private mutating func account(_ message: Message, _ sign: Int) {
        bytes += sign * message.bodySize
        if message.isPersistent {
            persistentCount += sign
            persistentBytes += sign * message.bodySize
        }
    }

    mutating func append(_ entry: QueueEntry) {
        account(entry.message, 1)
        entries.append(entry)
    }

    mutating func popFirst() -> QueueEntry? {
        guard let entry = entries.popFirst() else { return nil }
        account(entry.message, -1)
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
        for entry in requeued { account(entry.message, 1) }
        entries.prepend(contentsOf: merged)
    }

    mutating func removeAll() -> [QueueEntry] {
        let all = Array(entries)
        entries.removeAll(keepingCapacity: false)
        bytes = 0
        persistentCount = 0
        persistentBytes = 0
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

/// How many messages a queue holds in each of RabbitMQ's classic-queue paging states.
package struct MessageStateCounts: Sendable, Equatable {
    /// Message and position in RAM.
    package var alpha = 0
    /// Message on disk, position in RAM.
    package var beta = 0
    /// Message on disk, position in RAM and on disk.
    package var gamma = 0
    /// Message and position on disk only.
    package var delta = 0

    package init(alpha: Int = 0, beta: Int = 0, gamma: Int = 0, delta: Int = 0) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.delta = delta
    }

    static func + (a: Self, b: Self) -> Self {
        Self(alpha: a.alpha + b.alpha, beta: a.beta + b.beta, gamma: a.gamma + b.gamma, delta: a.delta + b.delta)
    }
}
