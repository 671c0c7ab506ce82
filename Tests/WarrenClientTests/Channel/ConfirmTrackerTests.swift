import Testing

@testable import WarrenClient

@Suite("ConfirmTracker")
struct ConfirmTrackerTests {
    typealias Tracker = ConfirmTracker<String>

    /// Resolutions in a comparable form: ("name", "ack" / "nack" / "upTo N nacked [..]").
    static func describe(_ resolutions: [Tracker.Resolution]) -> [String] {
        resolutions.map(describe)
    }

    static func describe(_ resolution: Tracker.Resolution) -> String {
        switch resolution {
        case .single(let waiter, let confirmation): return "\(waiter): \(confirmation)"
        case .batch(let waiter, let summary): return "\(waiter): upTo \(summary.upTo) nacked \(summary.nacked)"
        }
    }

    static func tracker(publishing sequences: ClosedRange<UInt64>) -> Tracker {
        var tracker = Tracker()
        for sequence in sequences { tracker.published(sequence) }
        return tracker
    }

    /// What `AMQPChannel.confirmProgress` reports: everything up to `settledThrough` is settled.
    @Test func settledThroughAndNackCount() {
        var t = Tracker()
        #expect(t.settledThrough == 0 && t.nackCount == 0)
        for sequence in UInt64(1)...5 { t.published(sequence) }
        #expect(t.settledThrough == 0)
        _ = t.confirm(tag: 2, multiple: false, ack: true)
        #expect(t.settledThrough == 0, "1 is still outstanding")
        _ = t.confirm(tag: 1, multiple: false, ack: false)
        #expect(t.settledThrough == 2 && t.nackCount == 1)
        _ = t.confirm(tag: 4, multiple: true, ack: true)
        #expect(t.settledThrough == 4)
        _ = t.confirm(tag: 5, multiple: false, ack: false)
        #expect(t.settledThrough == 5 && t.nackCount == 2)
        t.published(6)
        #expect(t.settledThrough == 5)
    }

    @Test func sequentialAcks() {
        var t = Self.tracker(publishing: 1...3)
        #expect(t.wait(for: 1, "a") == nil)
        #expect(t.wait(for: 2, "b") == nil)
        #expect(Self.describe(t.confirm(tag: 1, multiple: false, ack: true)) == ["a: ack"])
        #expect(Array(t.outstanding) == [2, 3])
        #expect(Self.describe(t.confirm(tag: 2, multiple: false, ack: true)) == ["b: ack"])
        #expect(Self.describe(t.confirm(tag: 3, multiple: false, ack: true)) == [])
        #expect(t.outstanding.isEmpty)
    }

    @Test func multipleAckConfirmsEverythingUpToTheTag() {
        var t = Self.tracker(publishing: 1...5)
        #expect(t.wait(for: 2, "two") == nil)
        #expect(t.wait(for: 5, "five") == nil)
        #expect(t.waitForAll("all") == nil)
        #expect(Self.describe(t.confirm(tag: 3, multiple: true, ack: true)) == ["two: ack"])
        #expect(Array(t.outstanding) == [4, 5])
        #expect(Self.describe(t.confirm(tag: 5, multiple: true, ack: true)) == ["five: ack", "all: upTo 5 nacked []"])
        #expect(t.outstanding.isEmpty)
    }

    @Test func outOfOrderSingleAcks() {
        var t = Self.tracker(publishing: 1...4)
        #expect(t.waitForAll("all") == nil)
        #expect(t.wait(for: 1, "one") == nil)
        #expect(Self.describe(t.confirm(tag: 3, multiple: false, ack: true)) == [])
        #expect(Array(t.outstanding) == [1, 2, 4])
        #expect(Self.describe(t.confirm(tag: 4, multiple: false, ack: true)) == [])
        #expect(Self.describe(t.confirm(tag: 1, multiple: false, ack: true)) == ["one: ack"])
        #expect(Self.describe(t.confirm(tag: 2, multiple: false, ack: true)) == ["all: upTo 4 nacked []"])
    }

    @Test func confirmsForUnknownOrRepeatedTagsChangeNothing() {
        var t = Self.tracker(publishing: 1...2)
        _ = t.confirm(tag: 1, multiple: false, ack: true)
        #expect(Self.describe(t.confirm(tag: 1, multiple: false, ack: false)) == [])
        #expect(Self.describe(t.confirm(tag: 9, multiple: false, ack: true)) == [])
        #expect(Array(t.outstanding) == [2])
        // The late nack for 1 was ignored: 1 stays acked.
        #expect(t.wait(for: 1, "one").map(Self.describe) == "one: ack")
    }

    @Test func nacksAreReportedOnceByWaitForAll() {
        var t = Self.tracker(publishing: 1...4)
        #expect(t.wait(for: 2, "two") == nil)
        #expect(Self.describe(t.confirm(tag: 2, multiple: false, ack: false)) == ["two: nack"])
        #expect(Self.describe(t.confirm(tag: 3, multiple: true, ack: false)) == [])  // nacks 1 and 3
        #expect(Self.describe(t.confirm(tag: 4, multiple: false, ack: true)) == [])
        #expect(t.waitForAll("first").map(Self.describe) == "first: upTo 4 nacked [2, 1, 3]")
        #expect(t.waitForAll("second").map(Self.describe) == "second: upTo 4 nacked []")
        // Still known as nacked to someone asking about one message.
        #expect(t.wait(for: 3, "three").map(Self.describe) == "three: nack")
    }

    @Test func waitForAllCoversOnlyWhatWasPublishedBeforeIt() {
        var t = Self.tracker(publishing: 1...2)
        #expect(t.waitForAll("early") == nil)
        t.published(3)
        #expect(t.waitForAll("late") == nil)
        #expect(Self.describe(t.confirm(tag: 1, multiple: false, ack: false)) == [])
        #expect(Self.describe(t.confirm(tag: 2, multiple: false, ack: true)) == ["early: upTo 2 nacked [1]"])
        #expect(Self.describe(t.confirm(tag: 3, multiple: false, ack: false)) == ["late: upTo 3 nacked [3]"])
    }

    @Test func waitForAllWithNothingOutstandingResolvesAtOnce() {
        var empty = Tracker()
        #expect(empty.waitForAll("w").map(Self.describe) == "w: upTo 0 nacked []")
        var t = Self.tracker(publishing: 1...2)
        _ = t.confirm(tag: 2, multiple: true, ack: true)
        #expect(t.waitForAll("w").map(Self.describe) == "w: upTo 2 nacked []")
    }

    @Test func waitOnAnAlreadyConfirmedSequenceResolvesImmediately() {
        var t = Self.tracker(publishing: 1...3)
        _ = t.confirm(tag: 1, multiple: false, ack: true)
        _ = t.confirm(tag: 3, multiple: false, ack: false)
        #expect(t.wait(for: 1, "one").map(Self.describe) == "one: ack")
        #expect(t.wait(for: 3, "three").map(Self.describe) == "three: nack")
        #expect(t.wait(for: 2, "two") == nil)
    }

    @Test func everyWaiterIsResolvedExactlyOnce() {
        var t = Self.tracker(publishing: 1...3)
        #expect(t.wait(for: 2, "a") == nil)
        #expect(t.wait(for: 2, "b") == nil)
        #expect(t.waitForAll("all") == nil)
        var resolved = Self.describe(t.confirm(tag: 2, multiple: false, ack: true))
        resolved += Self.describe(t.confirm(tag: 2, multiple: true, ack: true))
        resolved += Self.describe(t.confirm(tag: 3, multiple: true, ack: true))
        resolved += Self.describe(t.confirm(tag: 3, multiple: true, ack: true))
        #expect(resolved == ["a: ack", "b: ack", "all: upTo 3 nacked []"])
        #expect(t.removeAllWaiters().isEmpty)
    }

    @Test func removeAllWaitersHandsBackEveryoneStillWaiting() {
        var t = Self.tracker(publishing: 1...3)
        #expect(t.wait(for: 1, "one") == nil)
        #expect(t.wait(for: 3, "three") == nil)
        #expect(t.waitForAll("all") == nil)
        #expect(Self.describe(t.confirm(tag: 1, multiple: false, ack: true)) == ["one: ack"])
        #expect(Set(t.removeAllWaiters()) == ["three", "all"])
        #expect(t.removeAllWaiters().isEmpty)
        // Later confirms resolve no one.
        #expect(Self.describe(t.confirm(tag: 3, multiple: true, ack: true)) == [])
    }
}
