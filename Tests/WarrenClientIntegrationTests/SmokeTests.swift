import NIOCore
import Testing
import WarrenClient

@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct SmokeTests {
    @Test func declarePublishGetConsume() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            #expect(queue.hasPrefix("amq.gen-"))
            try await channel.publish(ByteBuffer(string: "one"), routingKey: queue)
            try await channel.publish(ByteBuffer(string: "two"), routingKey: queue)
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.bodyString == "one")
            #expect(got.messageCount == 1)
            let consumer = try await channel.consume(queue)
            for try await delivery in consumer {
                #expect(delivery.bodyString == "two")
                try await channel.ack(deliveryTag: delivery.deliveryTag)
                break
            }
        }
    }
}
