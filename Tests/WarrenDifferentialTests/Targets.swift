import Foundation
import WarrenBroker
import WarrenClient

/// The two brokers every differential scenario runs against: the RabbitMQ node scripts/test
/// starts (WARREN_RABBITMQ_URL) and an embedded broker started in-process.
enum Targets {
    static let rabbitURL = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"]
    static let isAvailable = rabbitURL != nil

    /// Runs `scenario` against RabbitMQ and against a fresh embedded broker; returns both results.
    static func both<Result: Sendable>(
        _ scenario: @Sendable (String) async throws -> Result
    ) async throws -> (rabbitmq: Result, warren: Result) {
        let rabbit = try await scenario(rabbitURL!)
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        do {
            let warren = try await scenario("amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
            try await broker.shutdown()
            return (rabbit, warren)
        } catch {
            try? await broker.shutdown()
            throw error
        }
    }
}
