import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// The broker with a data directory, stopped and started again in process.
@Suite struct RecoveryTests {
    @Test func durableTopologySurvivesARestartAndTransientDoesNot() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.exchangeDeclare("orders", type: "topic", durable: true,
                                          arguments: ["alternate-exchange": .string("unrouted")])
        try await channel.exchangeDeclare("scratch", type: "fanout")
        try await channel.queueDeclare("orders.eu", durable: true, arguments: ["x-max-length": .int32(1000)])
        try await channel.queueDeclare("orders.tmp")
        try await channel.queueBind("orders.eu", exchange: "orders", routingKey: "eu.#")
        try await channel.queueBind("orders.eu", exchange: "amq.direct", routingKey: "direct-key")
        try await channel.queueBind("orders.tmp", exchange: "orders", routingKey: "#")
        try await channel.exchangeDeclare("audit", type: "fanout", durable: true)
        try await channel.queueDeclare("audit.log", durable: true)
        try await channel.queueBind("audit.log", exchange: "audit")
        try await channel.exchangeBind(destination: "audit", source: "orders", routingKey: "#")
        try await connection.close()
        try await broker.shutdown()

        broker = try await startBroker(directory)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        try await channel.exchangeDeclare("orders", type: "topic", passive: true)
        let declared = try await channel.queueDeclare("orders.eu", durable: true,
                                                      arguments: ["x-max-length": .int32(1000)])
        #expect(declared.messageCount == 0)
        try await channel.publish(ByteBuffer(string: "a"), exchange: "orders", routingKey: "eu.fr", properties: persistent)
        try await channel.publish(ByteBuffer(string: "b"), exchange: "amq.direct", routingKey: "direct-key")
        #expect(try await drain(channel, "orders.eu").map(\.bodyString) == ["a", "b"])
        #expect(try await drain(channel, "audit.log").map(\.bodyString) == ["a"], "exchange-to-exchange binding")
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("orders.tmp", passive: true) }
        channel = try await connection.openChannel()
        await #expect(throws: AMQPClientError.self) { try await channel.exchangeDeclare("scratch", passive: true) }
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func persistentMessagesComeBackInOrderAndUnackedOnesAsRedelivered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.queueDeclare("work", durable: true)
        try await channel.queueDeclare("scratch")
        try await channel.confirmSelect()
        for number in 0..<50 {
            try await channel.publish(ByteBuffer(string: "p\(number)"), routingKey: "work", properties: persistent)
            if number % 5 == 0 { try await channel.publish(ByteBuffer(string: "t\(number)"), routingKey: "work") }
            try await channel.publish(ByteBuffer(string: "s\(number)"), routingKey: "scratch", properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        // Ack the first ten persistent ones, take five more without acking, stop with them out.
        var acked = 0
        while acked < 10, let result = try await channel.get("work") {
            try await channel.ack(deliveryTag: result.message.deliveryTag)
            if result.message.bodyString.hasPrefix("p") { acked += 1 }
        }
        var unacked: [String] = []
        while unacked.count < 5, let result = try await channel.get("work") {
            if result.message.bodyString.hasPrefix("p") { unacked.append(result.message.bodyString) }
        }
        #expect(unacked == (10..<15).map { "p\($0)" })
        try await broker.shutdown()

        broker = try await startBroker(directory)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        let messages = try await drain(channel, "work")
        #expect(messages.map(\.bodyString) == (10..<50).map { "p\($0)" })
        #expect(messages.map(\.redelivered) == (10..<50).map { $0 < 15 })
        #expect(messages.allSatisfy { $0.properties.deliveryMode == 2 })
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("scratch", passive: true) }
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func fanoutToFourDurableQueuesStoresEachBodyOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.exchangeDeclare("fan", type: "fanout", durable: true)
        for index in 0..<4 {
            try await channel.queueDeclare("fan.\(index)", durable: true)
            try await channel.queueBind("fan.\(index)", exchange: "fan")
        }
        try await channel.confirmSelect()
        let bodySize = 16 * 1024
        for number in 0..<20 {
            var body = ByteBuffer(repeating: UInt8(number), count: bodySize)
            body.setString("m\(number)", at: 0)
            try await channel.publish(body, exchange: "fan", routingKey: "", properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        let stored = directory.files(in: "msg_store").reduce(0) { $0 + directory.size(of: "msg_store/" + $1) }
        #expect(stored >= 20 * bodySize)
        #expect(stored < 20 * bodySize + 20 * 256, "each body once, plus a small record header")
        try await connection.close()
        try await broker.shutdown()

        broker = try await startBroker(directory)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        for index in 0..<4 {
            let messages = try await drain(channel, "fan.\(index)")
            #expect(messages.count == 20)
            #expect(messages.map { String(buffer: $0.body.getSlice(at: 0, length: 3)!) }.prefix(2) == ["m0\u{0}", "m1\u{1}"])
        }
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func fullyConsumedSegmentsAreDeleted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory, segmentSize: 64 * 1024)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.queueDeclare("churn", durable: true)
        try await channel.confirmSelect()
        for _ in 0..<200 {
            try await channel.publish(ByteBuffer(repeating: 7, count: 4096), routingKey: "churn", properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        #expect(directory.files(in: "msg_store").count > 10)
        for _ in 0..<200 {
            let result = try #require(try await channel.get("churn"))
            try await channel.ack(deliveryTag: result.message.deliveryTag)
        }
        try await connection.close()
        try await broker.shutdown()
        #expect(directory.files(in: "msg_store").count <= 1)

        broker = try await startBroker(directory, segmentSize: 64 * 1024)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        #expect(try await channel.queueDeclare("churn", passive: true).messageCount == 0)
        try await connection.close()
        try await broker.shutdown()
    }
}

/// Durable queues that go away without a queue.delete stay gone after a restart.
@Suite struct RecoveryDeletionTests {
    @Test func autoDeleteAndExpiredDurableQueuesDoNotComeBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.queueDeclare("auto", durable: true, autoDelete: true)
        try await channel.queueDeclare("expiring", durable: true, arguments: ["x-expires": .int32(100)])
        try await channel.queueDeclare("stays", durable: true)
        try await channel.confirmSelect()
        try await channel.publish(ByteBuffer(string: "x"), routingKey: "auto", properties: persistent)
        #expect(try await channel.waitForConfirms().allAcked)
        let consumer = try await channel.consume("auto")
        try await channel.cancel(consumerTag: consumer.consumerTag)
        try await Task.sleep(for: .milliseconds(400))
        try await connection.close()
        try await broker.shutdown()

        broker = try await startBroker(directory)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        try await channel.queueDeclare("stays", passive: true)
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("auto", passive: true) }
        channel = try await connection.openChannel()
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("expiring", passive: true) }
        #expect(directory.files(in: "queues").count == 1)
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func aSecondBrokerCannotOpenTheSameDataDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await startBroker(directory)
        await #expect(throws: (any Error).self) { _ = try await startBroker(directory) }
        try await broker.shutdown()
        let again = try await startBroker(directory)
        try await again.shutdown()
    }
}
