import Testing
import WarrenBroker
@testable import WarrenPerf

/// `warren perf` against the embedded broker: the counts must add up (throughput figures are for
/// benchmarks, never asserted here).
@Suite struct PerfRunTests {
    static func withBroker(_ body: (String) async throws -> Void) async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        do {
            try await body("amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        } catch {
            try? await broker.shutdown()
            throw error
        }
        try await broker.shutdown()
    }

    @Test(arguments: PerfConfiguration.ExchangeKind.allCases)
    func everyMessageIsConsumedOncePerQueue(_ kind: PerfConfiguration.ExchangeKind) async throws {
        try await Self.withBroker { url in
            let configuration = PerfConfiguration(url: url, producers: 2, consumers: 3, queues: 3, exchangeKind: kind,
                                                  extraBindings: 10, bodySize: 32, confirmWindow: 50, multiAck: 10,
                                                  duration: 0, messageCount: 500)
            let summary = try await PerfRun.run(configuration)
            #expect(summary.sent == 1000)
            #expect(summary.confirmed == 1000 && summary.nacked == 0)
            #expect(summary.received == 1000 * configuration.copiesPerMessage)
            #expect(summary.latency != nil)
            #expect(summary.broker.hasPrefix("Warren"))
        }
    }

    @Test func producersOnlyWithConfirmsAndPersistence() async throws {
        try await Self.withBroker { url in
            let summary = try await PerfRun.run(PerfConfiguration(
                url: url, producers: 1, consumers: 0, bodySize: 100, persistent: true, confirmWindow: 100,
                duration: 0, messageCount: 2_000))
            #expect(summary.sent == 2_000 && summary.confirmed == 2_000 && summary.received == 0)
            #expect(summary.latency == nil)
        }
    }

    @Test func rateLimitedRunForADuration() async throws {
        try await Self.withBroker { url in
            let summary = try await PerfRun.run(PerfConfiguration(url: url, rate: 200, duration: 1.5))
            // At 200/s for 1.5 s: about 300, never more than the schedule allows. How many fewer
            // depends on how busy the machine is (41 once, under the whole suite), so below it
            // only asks that the run sent something.
            #expect(summary.sent <= 302)
            #expect(summary.sent > 0)
            #expect(summary.received <= summary.sent)
        }
    }

    @Test func refusedConnectionIsAnError() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await PerfRun.run(PerfConfiguration(url: "amqp://guest:guest@127.0.0.1:1/", duration: 1))
        }
    }

    @Test func validation() {
        #expect(PerfConfiguration(bodySize: 4).validationErrors().count == 1)
        #expect(PerfConfiguration(producers: 0, consumers: 0).validationErrors().count == 1)
        #expect(PerfConfiguration().validationErrors().isEmpty)
    }
}
