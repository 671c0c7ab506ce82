import Testing
@testable import WarrenMonitor

/// The replay's ack decisions as call/expect lists: which source copies get acked, and whether
/// a `multiple=true` ack could ever settle one that must stay.
@Suite("Replay ledger")
struct ReplayLedgerTests {
    typealias Ack = ReplayLedger.Ack

    /// Publishes deliveries `tags` in order, numbered from the ledger's next sequence.
    static func publish(_ ledger: inout ReplayLedger, _ tags: ClosedRange<UInt64>, label: String = "queue q") {
        for tag in tags { ledger.published(deliveryTag: tag, sequence: ledger.nextPublishSequence, label: label) }
    }

    static func expectAcks(_ ledger: inout ReplayLedger, _ expected: [Ack], _ comment: Comment? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let acks = ledger.takeAcks()
        #expect(acks == expected, comment, sourceLocation: sourceLocation)
    }

    @Test func oneBatchAckForAConfirmedRun() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...5)
        Self.expectAcks(&ledger, [], "nothing is acked before its confirm")
        let confirmed = ledger.confirmed(upTo: 5, multiple: true, ack: true)
        #expect(confirmed == Array(repeating: .moved(label: "queue q"), count: 5))
        Self.expectAcks(&ledger, [Ack(deliveryTag: 5, multiple: true)])
        #expect(ledger.awaitingConfirms == 0 && ledger.confirmedNotAcked == 0)
    }

    @Test func confirmsOutOfOrderWaitForTheHead() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...3)
        _ = ledger.confirmed(upTo: 2, multiple: false, ack: true)
        _ = ledger.confirmed(upTo: 3, multiple: false, ack: true)
        Self.expectAcks(&ledger, [], "tag 1 is unconfirmed: a batch ack would cover it")
        #expect(ledger.confirmedNotAcked == 2)
        _ = ledger.confirmed(upTo: 1, multiple: false, ack: true)
        Self.expectAcks(&ledger, [Ack(deliveryTag: 3, multiple: true)])
    }

    @Test func aReturnedMessageStaysAndEverythingAfterItIsAckedSingly() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...6)
        let known = ledger.returned(sequence: 3)
        #expect(known)
        let outcomes = ledger.confirmed(upTo: 6, multiple: true, ack: true)
        #expect(outcomes.filter { $0 == .returned }.count == 1)
        Self.expectAcks(&ledger, [
            Ack(deliveryTag: 2, multiple: true), Ack(deliveryTag: 4, multiple: false),
            Ack(deliveryTag: 5, multiple: false), Ack(deliveryTag: 6, multiple: false),
        ])
        #expect(ledger.keptCount == 1)
        // Later confirms are single acks too: a batch would now settle tag 3.
        Self.publish(&ledger, 7...8)
        _ = ledger.confirmed(upTo: 8, multiple: true, ack: true)
        Self.expectAcks(&ledger, [Ack(deliveryTag: 7, multiple: false), Ack(deliveryTag: 8, multiple: false)])
    }

    @Test func nackedAndFilteredMessagesStay() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...2)
        ledger.keep(deliveryTag: 3)
        Self.publish(&ledger, 4...4)
        let nacked = ledger.confirmed(upTo: 1, multiple: false, ack: false)
        #expect(nacked == [.nacked])
        Self.expectAcks(&ledger, [], "tag 1 stays, so nothing may be batch-acked")
        _ = ledger.confirmed(upTo: 3, multiple: true, ack: true)
        Self.expectAcks(&ledger, [Ack(deliveryTag: 2, multiple: false), Ack(deliveryTag: 4, multiple: false)])
        #expect(ledger.keptCount == 2)
    }

    @Test func aKeptMessageAfterAckedOnesEndsBatching() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...2)
        _ = ledger.confirmed(upTo: 2, multiple: true, ack: true)
        Self.expectAcks(&ledger, [Ack(deliveryTag: 2, multiple: true)])
        ledger.keep(deliveryTag: 3)
        #expect(ledger.singleAcksOnly)
        Self.publish(&ledger, 4...5)
        _ = ledger.confirmed(upTo: 5, multiple: true, ack: true)
        Self.expectAcks(&ledger, [Ack(deliveryTag: 4, multiple: false), Ack(deliveryTag: 5, multiple: false)])
    }

    @Test func aReturnAfterItsConfirmIsReported() {
        var ledger = ReplayLedger()
        Self.publish(&ledger, 1...1)
        _ = ledger.confirmed(upTo: 1, multiple: false, ack: true)
        let known = ledger.returned(sequence: 1)
        #expect(!known)
    }

    /// Many random interleavings: every ack the ledger sends is for a confirmed, unreturned
    /// message; no multiple ack ever reaches over one that must stay; every moved message is acked.
    @Test(arguments: 0..<40) func randomRunsNeverAckWhatMustStay(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        var ledger = ReplayLedger()
        var mustStay: Set<UInt64> = []
        var moved: Set<UInt64> = []
        var acked: Set<UInt64> = []
        var tagOfSequence: [UInt64: UInt64] = [:]
        var unconfirmed: [UInt64] = []
        var nextTag: UInt64 = 1

        func apply(_ acks: [Ack]) {
            for ack in acks {
                let covered = ack.multiple ? Set((1...ack.deliveryTag).filter { !acked.contains($0) }) : [ack.deliveryTag]
                #expect(!acked.contains(ack.deliveryTag), "tag \(ack.deliveryTag) acked twice (seed \(seed))")
                #expect(covered.isDisjoint(with: mustStay), "ack \(ack) covers a message that must stay (seed \(seed))")
                #expect(covered.isSubset(of: moved), "ack \(ack) covers an unconfirmed message (seed \(seed))")
                acked.formUnion(covered)
            }
        }
        for _ in 0..<300 {
            switch random.next() % 10 {
            case 0:
                ledger.keep(deliveryTag: nextTag)
                mustStay.insert(nextTag)
                nextTag += 1
            case 1...5:
                let sequence = ledger.nextPublishSequence
                ledger.published(deliveryTag: nextTag, sequence: sequence, label: "q")
                tagOfSequence[sequence] = nextTag
                unconfirmed.append(sequence)
                if random.next() % 8 == 0 { _ = ledger.returned(sequence: sequence) }
                nextTag += 1
            default:
                guard !unconfirmed.isEmpty else { continue }
                let multiple = random.next() % 2 == 0
                let ack = random.next() % 12 != 0
                let pick = multiple ? unconfirmed[Int(random.next() % UInt64(unconfirmed.count))]
                    : unconfirmed[Int(random.next() % UInt64(unconfirmed.count))]
                let settled = multiple ? unconfirmed.filter { $0 <= pick } : [pick]
                unconfirmed.removeAll { settled.contains($0) }
                let outcomes = ledger.confirmed(upTo: pick, multiple: multiple, ack: ack)
                #expect(outcomes.count == settled.count)
                for (sequence, outcome) in zip(settled.sorted(), outcomes) {
                    if case .moved = outcome { moved.insert(tagOfSequence[sequence]!) } else {
                        mustStay.insert(tagOfSequence[sequence]!)
                    }
                }
            }
            apply(ledger.takeAcks())
        }
        let outcomes = ledger.confirmed(upTo: ledger.nextPublishSequence, multiple: true, ack: true)
        for (sequence, outcome) in zip(unconfirmed.sorted(), outcomes) {
            if case .moved = outcome { moved.insert(tagOfSequence[sequence]!) } else { mustStay.insert(tagOfSequence[sequence]!) }
        }
        apply(ledger.takeAcks())
        #expect(acked == moved, "every moved message is acked at the end (seed \(seed))")
        #expect(ledger.keptCount == mustStay.count)
    }
}

/// A small deterministic generator, so a failing seed can be rerun.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
