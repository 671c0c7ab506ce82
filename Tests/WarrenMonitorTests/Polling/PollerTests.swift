import Foundation
import Synchronization
import Testing
@testable import WarrenMonitor

/// A source scripted by the test: fails while `failing` is set, counts concurrent fetches.
final class FakeSource: MonitorSource, Sendable {
    let description = "fake"
    private let state = Mutex<(failing: Bool, active: Int, maxActive: Int, fetches: Int, product: String?)>(
        (false, 0, 0, 0, nil))
    let delay: Duration

    init(delay: Duration = .zero, product: String? = nil) {
        self.delay = delay
        state.withLock { $0.product = product }
    }

    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }
    var maxActive: Int { state.withLock { $0.maxActive } }
    var fetches: Int { state.withLock { $0.fetches } }

    func fetch() async throws -> BrokerState {
        let (failing, product) = state.withLock { s -> (Bool, String?) in
            s.active += 1
            s.fetches += 1
            s.maxActive = max(s.maxActive, s.active)
            return (s.failing, s.product)
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        state.withLock { $0.active -= 1 }
        if failing { throw MonitorError.unreachable("fake: connection refused") }
        var overview = Overview()
        overview.broker = product.map { BrokerIdentity(serverProduct: $0, version: nil) }
        return BrokerState(overview: overview, queues: [QueueInfo(id: QueueID(name: "q"), messages: fetches)])
    }
}

@Suite("Poller")
struct PollerTests {
    @Test func backoffDoublesUpToTheCeilingAndResets() {
        var schedule = PollSchedule(interval: 5, maximumBackoff: 60)
        let now = Date()
        var delays: [TimeInterval] = []
        for _ in 0..<6 {
            let started = schedule.start()
            #expect(started)
            delays.append(schedule.failed(.unreachable("x"), at: now))
        }
        #expect(delays == [5, 10, 20, 40, 60, 60])
        #expect(schedule.status.consecutiveFailures == 6)
        let restarted = schedule.start()
        #expect(restarted)
        let snapshot = Snapshot(state: BrokerState(), source: "t")
        #expect(schedule.succeeded(snapshot, at: now) == 5)
        #expect(schedule.status.consecutiveFailures == 0 && schedule.status.error == nil)
    }

    @Test func neverTwoPollsAtOnce() async {
        var schedule = PollSchedule(interval: 1)
        let first = schedule.start()
        let second = schedule.start()
        #expect(first && !second)

        let source = FakeSource(delay: .milliseconds(100))
        let poller = Poller(source: source, interval: 1)
        await withTaskGroup(of: MonitorStatus.self) { group in
            for _ in 0..<5 { group.addTask { await poller.poll() } }
            for await status in group { #expect(status.snapshot != nil) }
        }
        #expect(source.maxActive == 1)
        #expect(source.fetches == 1)
    }

    @Test func failureKeepsTheLastGoodSnapshotAndMarksIt() async throws {
        let source = FakeSource()
        let poller = Poller(source: source, interval: 2, maximumBackoff: 30)
        let good = await poller.poll()
        let snapshot = try #require(good.snapshot)
        source.setFailing(true)
        let bad = await poller.poll()
        #expect(bad.snapshot?.takenAt == snapshot.takenAt)
        #expect(bad.isStale)
        #expect(bad.error == .unreachable("fake: connection refused"))
        #expect(bad.consecutiveFailures == 1)
        let age = try #require(bad.age(at: snapshot.takenAt + 7))
        #expect(age == 7)
        let worse = await poller.poll()
        let retryIn = try #require(worse.nextPollAt).timeIntervalSinceNow
        #expect(retryIn > 2 && retryIn <= 4)
        source.setFailing(false)
        let recovered = await poller.poll()
        #expect(!recovered.isStale && recovered.consecutiveFailures == 0)
        #expect(recovered.snapshot!.takenAt > snapshot.takenAt)
    }

    @Test func defaultIntervalFollowsTheBroker() async {
        #expect(PollSchedule.defaultInterval(broker: BrokerIdentity(product: .rabbitmq)) == 5)
        #expect(PollSchedule.defaultInterval(broker: BrokerIdentity(product: .warren)) == 1)
        #expect(PollSchedule.defaultInterval(broker: BrokerIdentity(product: .rabbitmq), queueCount: 9_999) == 5)
        #expect(PollSchedule.defaultInterval(broker: BrokerIdentity(product: .rabbitmq), queueCount: 10_000) == 10)
        #expect(PollSchedule.defaultInterval(broker: BrokerIdentity(product: .warren), queueCount: 100_000) == 1)
        let poller = Poller(source: FakeSource(product: "Warren"))
        _ = await poller.poll()
        #expect(await poller.interval == 1)
    }

    @Test func updatesStreamPollsRepeatedly() async {
        let source = FakeSource()
        let poller = Poller(source: source, interval: 0.02)
        var count = 0
        for await status in poller.updates() {
            #expect(status.snapshot != nil)
            count += 1
            if count == 3 { break }
        }
        #expect(source.fetches >= 3)
    }
}
