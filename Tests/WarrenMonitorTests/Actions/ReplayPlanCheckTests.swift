import Testing
@testable import WarrenMonitor

@Suite("Replay plan checks")
struct ReplayPlanCheckTests {
    static let dlq = QueueID(name: "app.dlq")

    static func plan(_ perTarget: [String: Int], seen: Int, queueLength: Int, deaths: [String: Int] = [:]) -> ReplayReport {
        var progress = ReplayProgress(lengthAtStart: seen)
        progress.seen = seen
        progress.perTarget = perTarget.mapKeys { "queue \($0)" }
        progress.destinations = Dictionary(uniqueKeysWithValues: perTarget.keys.map {
            ("queue \($0)", ReplayDestination(exchange: "", routingKey: $0))
        })
        progress.deaths = deaths
        return ReplayReport(replayID: "r", dryRun: true, progress: progress, stop: .reachedLimit, warnings: [],
                            queueLength: queueLength)
    }

    @Test func aPolicyLimitBelowTheArgumentWins() {
        var queue = QueueInfo(id: QueueID(name: "orders"), arguments: ["x-max-length": 100],
                              effectivePolicy: ["max-length": 20], messages: 15, consumers: 1)
        queue.messageBytes = 0
        let report = Self.plan(["orders": 10], seen: 10, queueLength: 10)
        let warnings = ReplayPlanCheck.warnings(for: report, dlq: Self.dlq, exchanges: [], bindings: [],
                                                queues: [queue, QueueInfo(id: Self.dlq)])
        #expect(warnings.map(\.kind) == [.full])
        #expect(warnings.first?.messages == 5 && warnings.first?.text.contains("at most 20 (overflow drop-head)") == true)
    }

    @Test func rejectPublishIsFullButNoLoop() {
        let queue = QueueInfo(id: QueueID(name: "orders"),
                              arguments: ["x-max-length": 1, "x-overflow": "reject-publish", "x-dead-letter-exchange": "",
                                          "x-dead-letter-routing-key": "app.dlq"],
                              messages: 1, consumers: 0)
        let warnings = ReplayPlanCheck.warnings(for: Self.plan(["orders": 3], seen: 3, queueLength: 3), dlq: Self.dlq,
                                                exchanges: [], bindings: [], queues: [queue, QueueInfo(id: Self.dlq)])
        #expect(warnings.map(\.kind) == [.full])
        #expect(warnings.first?.text.contains("refused (nacked) and stay in the DLQ") == true)
    }

    @Test func aSampleScalesItsCounts() {
        let report = Self.plan(["gone": 100], seen: 1000, queueLength: 50_000, deaths: ["1": 900, "5": 100])
        let warnings = ReplayPlanCheck.warnings(for: report, dlq: Self.dlq, exchanges: [], bindings: [],
                                                queues: [QueueInfo(id: Self.dlq)])
        #expect(report.sampled)
        #expect(warnings.first { $0.kind == .targetMissing }?.messages == 5000)
        #expect(warnings.first { $0.kind == .poison }?.messages == 5000)
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ transform: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
