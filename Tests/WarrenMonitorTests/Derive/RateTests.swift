import Foundation
import Testing
@testable import WarrenMonitor

@Suite("Rates")
struct RateTests {
    @Test func apiRateWins() {
        let rate = Rate.of(Counter(total: 500, apiRate: 12.5), previous: Counter(total: 100), elapsed: 5)
        #expect(rate == Rate(12.5, .api))
    }

    @Test func deltaBetweenPolls() {
        #expect(Rate.of(Counter(total: 600), previous: Counter(total: 100), elapsed: 5) == Rate(100, .delta))
        #expect(Rate.of(Counter(total: 600), previous: nil, elapsed: 5) == nil)
        // A counter reset (queue re-created) gives no rate rather than a negative one.
        #expect(Rate.of(Counter(total: 50), previous: Counter(total: 100), elapsed: 5) == nil)
        #expect(Rate.change(40, previous: 100, elapsed: 2) == Rate(-30, .delta))
    }

    @Test func snapshotsComputeDeltasForQueues() {
        var queue = QueueInfo(id: QueueID(name: "q"), messages: 10)
        queue.messageStats.publish = Counter(total: 100)
        let start = Date(timeIntervalSince1970: 1000)
        let first = Snapshot(state: BrokerState(queues: [queue]), source: "t", takenAt: start)
        #expect(first.queueRates[queue.id]?.publish == nil)
        queue.messages = 30
        queue.messageStats.publish = Counter(total: 150)
        let second = Snapshot(state: BrokerState(queues: [queue]), source: "t", takenAt: start + 5, previous: first)
        #expect(second.queueRates[queue.id]?.publish == Rate(10, .delta))
        #expect(second.queueRates[queue.id]?.depth == Rate(4, .delta))
        #expect(second.deadLetters.queues.isEmpty)
    }
}
