import NIOCore
import Testing
import WarrenBroker
import WarrenClient

@Suite struct BrokerSmokeTests {
    @Test func declarePublishGetConsume() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare("", exclusive: true).queue
        #expect(queue.hasPrefix("amq.gen-"))
        try await channel.confirmSelect()
        try await channel.publish(ByteBuffer(string: "one"), routingKey: queue)
        try await channel.publish(ByteBuffer(string: "two"), routingKey: queue)
        let summary = try await channel.waitForConfirms()
        #expect(summary.allAcked && summary.upTo == 2)
        let got = try #require(try await channel.get(queue, noAck: true))
        #expect(got.message.bodyString == "one")
        #expect(got.messageCount == 1)
        let consumer = try await channel.consume(queue)
        for try await delivery in consumer {
            #expect(delivery.bodyString == "two")
            try await channel.ack(deliveryTag: delivery.deliveryTag)
            break
        }
        await #expect(throws: AMQPClientError.self) {
            try await channel.queueDeclare("missing", passive: true)
        }
        let other = try await connection.openChannel()
        try await other.queueDelete(queue)
        try await connection.close()
        try await broker.shutdown()
    }
}
