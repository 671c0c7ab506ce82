import Foundation
import Testing
@testable import WarrenMonitor

@Suite("Alert thresholds")
struct AlertTests {
    let dlq = QueueID(name: "demo.dlq")

    func snapshot(_ change: (inout BrokerState) -> Void = { _ in }) throws -> Snapshot {
        var state = try Fixture.state()
        change(&state)
        return Snapshot(state: state, source: "fixtures")
    }

    func index(of id: QueueID, in state: BrokerState) -> Int { state.queues.firstIndex { $0.id == id }! }

    @Test func nothingFiresOnTheFixturesBelowTheirFigures() throws {
        let thresholds = AlertThresholds(dlqDepth: 5, dlqGrowthPerMinute: 0, ready: 2000, noConsumers: true)
        #expect(Alerts.evaluate(try snapshot(), thresholds: thresholds).isEmpty)
    }

    @Test func dlqDepthCountsDeadLetterQueuesOnly() throws {
        let alerts = Alerts.evaluate(try snapshot(), thresholds: AlertThresholds(dlqDepth: 4))
        // demo.dlq holds 5; demo.orders holds 1995 but is no dead-letter queue.
        #expect(alerts.map(\.line) == ["ALERT dlq-depth vhost=/ queue=demo.dlq depth=5 > 4"])
        #expect(alerts.first?.queue == dlq)
        #expect(alerts.first?.figure == 5 && alerts.first?.threshold == 4)
    }

    @Test func dlqGrowthFromTheAPIRate() throws {
        let growing = try snapshot { state in state.queues[index(of: dlq, in: state)].messagesRate = 1.5 }
        let alerts = Alerts.evaluate(growing, thresholds: AlertThresholds(dlqGrowthPerMinute: 60))
        #expect(alerts.map(\.line) == ["ALERT dlq-growth vhost=/ queue=demo.dlq growth=90/min > 60"])
        #expect(Alerts.evaluate(growing, thresholds: AlertThresholds(dlqGrowthPerMinute: 90)).isEmpty)
    }

    @Test func dlqGrowthFromTwoPolls() throws {
        var state = try Fixture.state()
        let position = index(of: dlq, in: state)
        state.queues[position].messagesRate = nil
        let start = Date(timeIntervalSince1970: 1_000_000)
        let before = Snapshot(state: state, source: "fixtures", takenAt: start)
        state.queues[position].messages = 25
        let after = Snapshot(state: state, source: "fixtures", takenAt: start.addingTimeInterval(10), previous: before)
        // 20 more in 10 s: 120 a minute.
        let alerts = Alerts.evaluate(after, previous: before, thresholds: AlertThresholds(dlqGrowthPerMinute: 100))
        #expect(alerts.map(\.kind) == [.dlqGrowth])
        #expect(alerts.first?.figure == 120)
    }

    @Test func readyCountsEveryQueue() throws {
        let alerts = Alerts.evaluate(try snapshot(), thresholds: AlertThresholds(ready: 1990))
        #expect(alerts.map(\.line) == [
            "ALERT ready vhost=/ queue=demo.lazy ready=2000 > 1990",
            "ALERT ready vhost=/ queue=demo.orders ready=1995 > 1990",
        ])
        #expect(Alerts.evaluate(try snapshot(), thresholds: AlertThresholds(ready: 1990), vhost: "other").isEmpty)
    }

    @Test func noConsumersAcrossTwoPolls() throws {
        let consumed = QueueID(name: "demo.v2")
        let before = try snapshot()
        let after = try snapshot { state in state.queues[index(of: consumed, in: state)].consumers = 0 }
        let thresholds = AlertThresholds(noConsumers: true)
        // The fixture's demo.v2 delivered 10 to consumers, so one poll alone says so too.
        #expect(Alerts.evaluate(after, thresholds: thresholds).map(\.line) == [
            "ALERT no-consumers vhost=/ queue=demo.v2 consumers=0 (delivered 10 to consumers before)",
        ])
        #expect(Alerts.evaluate(after, previous: before, thresholds: thresholds).map(\.line) == [
            "ALERT no-consumers vhost=/ queue=demo.v2 consumers=0 (had 1)",
        ])
        // A queue that never had a consumer (zero deliveries, or no statistics) is not alerted on.
        #expect(Alerts.evaluate(before, previous: before, thresholds: thresholds).isEmpty)
        #expect(Alerts.evaluate(after, thresholds: AlertThresholds()).isEmpty)
    }

    @Test func nodeAlarmsUnlessTurnedOff() throws {
        let alarmed = try snapshot { state in
            state.nodes[0].memoryAlarm = true
            state.nodes[1].diskFreeAlarm = true
        }
        let lines = Alerts.evaluate(alarmed, thresholds: AlertThresholds()).map(\.line)
        #expect(lines == ["ALERT node-alarm node=rabbit2@localhost alarm=memory",
                          "ALERT node-alarm node=rabbit3@localhost alarm=disk"])
        #expect(Alerts.evaluate(alarmed, thresholds: AlertThresholds(nodeAlarms: false)).isEmpty)
    }

    @Test func consumerDeliveriesParseFromMessageStats() throws {
        let queue = try #require(try snapshot().queue("demo.v2"))
        #expect(queue.messageStats.consumerDeliveries == 10)
        #expect(try snapshot().queue("demo.lazy")?.messageStats.consumerDeliveries == nil)
    }
}
