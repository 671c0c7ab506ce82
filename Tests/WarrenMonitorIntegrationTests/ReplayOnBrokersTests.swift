import Testing
import WarrenBroker

/// The replay's guarantees at scale and under faults, on RabbitMQ 3.10.8: on the node scripts/test
/// starts for tests at scale (100,000 messages through the shared node slowed every test on it),
/// else on the shared one.
@Suite("Replay at scale and under faults, RabbitMQ 3.10.8", .serialized,
       .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct ReplayOnRabbitMQTests {
    static let url = Live.environment["WARREN_SCALE_RABBITMQ_URL"] ?? Live.amqpURL ?? ""

    @Test func hundredThousandDeadLettersGoBackExactly() async throws {
        try await ReplayScenarios.largeReplayIsExact(Self.url)
    }

    @Test func keptMessagesStayInOrder() async throws {
        try await ReplayScenarios.keptMessagesStayInOrder(Self.url)
    }

    @Test func cancelMidwayLosesNothing() async throws {
        try await ReplayScenarios.cancelLosesNothing(Self.url)
    }

    @Test func killedReplayThenRerunLosesNothing() async throws {
        try await ReplayScenarios.killedReplayThenRerunLosesNothing(Self.url)
    }
}

/// The same on the embedded broker, started in the test.
@Suite("Replay at scale and under faults, embedded broker", .serialized)
struct ReplayOnEmbeddedBrokerTests {
    static func withBroker(_ body: (String) async throws -> Void) async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        do {
            try await body("amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
            try await broker.shutdown()
        } catch {
            try? await broker.shutdown()
            throw error
        }
    }

    @Test func hundredThousandDeadLettersGoBackExactly() async throws {
        try await Self.withBroker { try await ReplayScenarios.largeReplayIsExact($0) }
    }

    @Test func keptMessagesStayInOrder() async throws {
        try await Self.withBroker { try await ReplayScenarios.keptMessagesStayInOrder($0) }
    }

    @Test func cancelMidwayLosesNothing() async throws {
        try await Self.withBroker { try await ReplayScenarios.cancelLosesNothing($0) }
    }

    @Test func killedReplayThenRerunLosesNothing() async throws {
        try await Self.withBroker { try await ReplayScenarios.killedReplayThenRerunLosesNothing($0) }
    }
}
