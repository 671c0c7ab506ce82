import NIOCore

/// The replay's bookkeeping between the source's deliveries and the target's confirms: which
/// source copies may be acked, and how. A value with no I/O; ``Replay`` applies what it decides.
///
/// The rule that keeps every message: a source copy is acked only after the broker confirmed its
/// new copy and did not return it. Everything else (returned, nacked, filtered out, or left for
/// later) stays unacked, so closing the channel puts it back in the source in its order.
///
/// Acks go in batches with `multiple=true`, which settles every unacked tag up to the one given.
/// So a batch may only reach up to just below the first tag that must stay unacked; from that tag
/// on, each confirmed message is acked singly.
struct ReplayLedger {
    /// What became of one published message when its confirm arrived.
    enum Outcome: Equatable {
        case moved(label: String)
        case returned
        case nacked
    }

    /// An ack to send on the source channel.
    struct Ack: Equatable {
        var deliveryTag: UInt64
        var multiple: Bool
    }

    private enum Fate {
        case awaitingConfirm
        case ackable
        case keep
    }

    private struct Published {
        var deliveryTag: UInt64
        var label: String
    }

    /// Source deliveries, oldest first, that a batch ack has not yet passed (only until the
    /// first kept one: after that every ack is single).
    private var unsettled = CircularBuffer<UInt64>()
    private var fates: [UInt64: Fate] = [:]
    /// Publishes awaiting their confirm, by publish sequence number.
    private var published: [UInt64: Published] = [:]
    /// Their sequence numbers, ascending, for `multiple` confirms.
    private var outstanding = CircularBuffer<UInt64>()
    private var returnedSequences: Set<UInt64> = []
    /// A delivery that must stay unacked lies behind: batch acks would settle it too.
    private(set) var singleAcksOnly = false
    private var acks: [Ack] = []

    /// The sequence number the next publish on the target channel will get (1, 2, ... in
    /// confirm mode), which the replay stamps on the message to match a return to it.
    private(set) var nextPublishSequence: UInt64 = 1
    /// Deliveries that stay unacked until the end (they count against the prefetch window).
    private(set) var keptCount = 0
    /// Confirmed and not returned, but no ack decided yet: on a crash now, these exist twice.
    private(set) var confirmedNotAcked = 0

    /// Publishes whose confirm has not arrived.
    var awaitingConfirms: Int { published.count }

    /// A delivery that stays in the source (filtered out, no origin, past the end, dry run).
    mutating func keep(deliveryTag: UInt64) {
        keptCount += 1
        guard !singleAcksOnly else { return }
        unsettled.append(deliveryTag)
        fates[deliveryTag] = .keep
        advance()
    }

    /// A delivery republished as `sequence` (which must be ``nextPublishSequence``).
    mutating func published(deliveryTag: UInt64, sequence: UInt64, label: String) {
        precondition(sequence == nextPublishSequence, "publishes are numbered in order")
        nextPublishSequence += 1
        published[sequence] = Published(deliveryTag: deliveryTag, label: label)
        outstanding.append(sequence)
        fates[deliveryTag] = .awaitingConfirm
        if !singleAcksOnly { unsettled.append(deliveryTag) }
    }

    /// A `basic.return` of the message published as `sequence` (it arrives before its confirm).
    /// False when no publish awaits a confirm under that number (its confirm came first).
    mutating func returned(sequence: UInt64) -> Bool {
        guard published[sequence] != nil else { return false }
        returnedSequences.insert(sequence)
        return true
    }

    /// A `basic.ack` (or `basic.nack` when `ack` is false) from the target's broker.
    mutating func confirmed(upTo tag: UInt64, multiple: Bool, ack: Bool) -> [Outcome] {
        var sequences: [UInt64] = []
        if multiple {
            while let first = outstanding.first, first <= tag { sequences.append(outstanding.removeFirst()) }
        } else if outstanding.first == tag {
            sequences.append(outstanding.removeFirst())
        } else if let index = outstanding.firstIndex(of: tag) {
            outstanding.remove(at: index)
            sequences.append(tag)
        }
        var outcomes: [Outcome] = []
        for sequence in sequences {
            guard let entry = published.removeValue(forKey: sequence) else { continue }
            let outcome: Outcome
            if returnedSequences.remove(sequence) != nil {
                outcome = .returned
            } else {
                outcome = ack ? .moved(label: entry.label) : .nacked
            }
            outcomes.append(outcome)
            if case .moved = outcome {
                if singleAcksOnly {
                    fates[entry.deliveryTag] = nil
                    acks.append(Ack(deliveryTag: entry.deliveryTag, multiple: false))
                } else {
                    fates[entry.deliveryTag] = .ackable
                    confirmedNotAcked += 1
                }
            } else {
                keptCount += 1
                if singleAcksOnly { fates[entry.deliveryTag] = nil } else { fates[entry.deliveryTag] = .keep }
            }
        }
        advance()
        return outcomes
    }

    /// The acks decided since the last call, in the order they must be sent.
    mutating func takeAcks() -> [Ack] {
        let taken = acks
        acks = []
        return taken
    }

    /// Moves the batch-ack frontier over the leading ackable deliveries.
    private mutating func advance() {
        guard !singleAcksOnly else { return }
        var last: UInt64?
        var settled = 0
        while let head = unsettled.first, let fate = fates[head] {
            if case .awaitingConfirm = fate { break }
            unsettled.removeFirst()
            fates[head] = nil
            if case .keep = fate {
                singleAcksOnly = true
                break
            }
            last = head
            settled += 1
        }
        if let last { acks.append(Ack(deliveryTag: last, multiple: settled > 1)) }
        confirmedNotAcked -= settled
        guard singleAcksOnly else { return }
        // Behind the kept delivery: ack the confirmed ones singly, forget the kept ones, and
        // leave those awaiting a confirm to be acked singly when it comes.
        while let tag = unsettled.popFirst() {
            switch fates[tag] {
            case .ackable?:
                fates[tag] = nil
                confirmedNotAcked -= 1
                acks.append(Ack(deliveryTag: tag, multiple: false))
            case .keep?:
                fates[tag] = nil
            case .awaitingConfirm?, nil:
                break
            }
        }
    }
}
