import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// What the management API creates is as durable as what AMQP clients declare.
@Suite struct ManagementDurabilityTests {
    @Test func vhostsQueuesAndMessagesCreatedThroughManagementSurviveARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        _ = try await broker.withOperations { operations throws(ManagementError) in
            // As in RabbitMQ, who creates a vhost gets full permissions on it (and they last).
            _ = operations.addVirtualHost("ops", grantTo: "guest")
            _ = try operations.declareQueue(vhost: "ops", queue: "managed", durable: true, autoDelete: false,
                                            arguments: [:])
            return try operations.publish(vhost: "ops", exchange: "", routingKey: "managed",
                                          properties: BasicProperties(deliveryMode: 2), body: ByteBuffer(string: "m"))
        }
        try await broker.shutdown()

        broker = try await startBroker(directory)
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/ops")
        let channel = try await connection.openChannel()
        #expect(try await drain(channel, "managed").map(\.bodyString) == ["m"])
        try await connection.close()
        try await broker.shutdown()
    }
}
