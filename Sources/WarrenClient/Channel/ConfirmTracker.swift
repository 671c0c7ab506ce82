import NIOCore

/// Publisher-confirm bookkeeping for one channel: which sequence numbers are outstanding, which
/// were nacked, and who is waiting. A value type with no I/O; the connection handler applies it.
struct ConfirmTracker<Waiter> {
    /// Outstanding sequence numbers, ascending (publishes are numbered in the order they are sent).
    private(set) var outstanding = CircularBuffer<UInt64>()
    private var lastPublished: UInt64 = 0
    private var nacked: Set<UInt64> = []
    private var unreportedNacks: [UInt64] = []
    private var singleWaiters: [UInt64: [Waiter]] = [:]
    private var batchWaiters: [(upTo: UInt64, waiter: Waiter)] = []

    enum Resolution {
        case single(Waiter, AMQPConfirmation)
        case batch(Waiter, AMQPConfirmSummary)
    }

    /// Every sequence number up to this one has been acked or nacked.
    var settledThrough: UInt64 {
        (outstanding.first ?? lastPublished + 1) - 1
    }
    /// Nacks received so far.
    private(set) var nackCount: UInt64 = 0

    mutating func published(_ sequence: UInt64) {
        outstanding.append(sequence)
        lastPublished = sequence
    }

    /// Registers interest in one message; resolves at once if its confirm already arrived.
    mutating func wait(for sequence: UInt64, _ waiter: Waiter) -> Resolution? {
        if isOutstanding(sequence) {
            singleWaiters[sequence, default: []].append(waiter)
            return nil
        }
        return .single(waiter, nacked.contains(sequence) ? .nack : .ack)
    }

    /// Registers interest in everything published so far.
    mutating func waitForAll(_ waiter: Waiter) -> Resolution? {
        let upTo = lastPublished
        if let first = outstanding.first, first <= upTo {
            batchWaiters.append((upTo, waiter))
            return nil
        }
        return .batch(waiter, takeSummary(upTo: upTo))
    }

    /// Applies a `basic.ack` or `basic.nack` from the broker.
    mutating func confirm(tag: UInt64, multiple: Bool, ack: Bool) -> [Resolution] {
        var confirmed: [UInt64] = []
        if multiple {
            while let first = outstanding.first, first <= tag {
                confirmed.append(outstanding.removeFirst())
            }
        } else if outstanding.first == tag {
            confirmed.append(outstanding.removeFirst())
        } else if let index = outstanding.firstIndex(of: tag) {
            outstanding.remove(at: index)
            confirmed.append(tag)
        }
        var resolutions: [Resolution] = []
        for sequence in confirmed {
            if !ack {
                nackCount += 1
                nacked.insert(sequence)
                unreportedNacks.append(sequence)
            }
            if let waiters = singleWaiters.removeValue(forKey: sequence) {
                for waiter in waiters { resolutions.append(.single(waiter, ack ? .ack : .nack)) }
            }
        }
        if !batchWaiters.isEmpty {
            let low = outstanding.first ?? UInt64.max
            var remaining: [(upTo: UInt64, waiter: Waiter)] = []
            for entry in batchWaiters {
                if low > entry.upTo {
                    resolutions.append(.batch(entry.waiter, takeSummary(upTo: entry.upTo)))
                } else {
                    remaining.append(entry)
                }
            }
            batchWaiters = remaining
        }
        return resolutions
    }

    /// Everyone still waiting, for failing them when the channel closes.
    mutating func removeAllWaiters() -> [Waiter] {
        let waiters = singleWaiters.values.flatMap { $0 } + batchWaiters.map(\.waiter)
        singleWaiters = [:]
        batchWaiters = []
        return waiters
    }

    private func isOutstanding(_ sequence: UInt64) -> Bool {
        guard let first = outstanding.first, sequence >= first, sequence <= lastPublished else { return false }
        if sequence == first { return true }
        return outstanding.contains(sequence)
    }

    private mutating func takeSummary(upTo: UInt64) -> AMQPConfirmSummary {
        let reported = unreportedNacks.filter { $0 <= upTo }
        unreportedNacks.removeAll { $0 <= upTo }
        return AMQPConfirmSummary(upTo: upTo, nacked: reported)
    }
}
