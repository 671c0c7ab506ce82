import NIOCore
import Testing
import WarrenClient

/// basic.get, ack, nack and reject, and what RabbitMQ does with the messages.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct AcknowledgementTests {
    @Test func getReportsRemainingCountAndRoutingData() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            #expect(try await channel.get(queue) == nil)
            for i in 1...3 { try await channel.publish(ByteBuffer(string: "m\(i)"), routingKey: queue) }
            for i in 1...3 {
                let got = try #require(try await channel.get(queue, noAck: true))
                #expect(got.message.bodyString == "m\(i)")
                #expect(got.messageCount == UInt32(3 - i))
                #expect(got.message.redelivered == false)
                #expect(got.message.exchange == "")
                #expect(got.message.routingKey == queue)
                #expect(got.message.consumerTag == "")
                #expect(got.message.deliveryTag == UInt64(i))
            }
            #expect(try await channel.get(queue, noAck: true) == nil)
        }
    }

    @Test func nackWithRequeueRedelivers() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "again"), routingKey: queue)
            let first = try #require(try await channel.get(queue))
            #expect(first.message.redelivered == false)
            try await channel.nack(deliveryTag: first.message.deliveryTag, requeue: true)
            let second = try #require(try await channel.get(queue))
            #expect(second.message.bodyString == "again")
            #expect(second.message.redelivered == true)
            #expect(second.message.deliveryTag > first.message.deliveryTag)
            try await channel.ack(deliveryTag: second.message.deliveryTag)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 0)
        }
    }

    @Test func nackWithoutRequeueDropsTheMessage() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "drop"), routingKey: queue)
            try await channel.publish(ByteBuffer(string: "keep"), routingKey: queue)
            let got = try #require(try await channel.get(queue))
            try await channel.nack(deliveryTag: got.message.deliveryTag, requeue: false)
            let next = try #require(try await channel.get(queue, noAck: true))
            #expect(next.message.bodyString == "keep")
            #expect(next.messageCount == 0)
            try await channel.close()
        }
    }

    @Test func rejectWithAndWithoutRequeue() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "r"), routingKey: queue)
            let first = try #require(try await channel.get(queue))
            try await channel.reject(deliveryTag: first.message.deliveryTag, requeue: true)
            let second = try #require(try await channel.get(queue))
            #expect(second.message.bodyString == "r")
            #expect(second.message.redelivered)
            try await channel.reject(deliveryTag: second.message.deliveryTag, requeue: false)
            #expect(try await channel.get(queue) == nil)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 0)
        }
    }

    @Test func nackMultipleRequeuesEverythingUpToTheTag() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            for i in 1...3 { try await channel.publish(ByteBuffer(string: "n\(i)"), routingKey: queue) }
            var tags: [UInt64] = []
            for _ in 1...3 { tags.append(try #require(try await channel.get(queue)).message.deliveryTag) }
            try await channel.nack(deliveryTag: tags[1], multiple: true, requeue: true)
            // n1 and n2 are back, in their original order, and redelivered; n3 is still ours.
            let again1 = try #require(try await channel.get(queue, noAck: true))
            let again2 = try #require(try await channel.get(queue, noAck: true))
            #expect([again1.message.bodyString, again2.message.bodyString] == ["n1", "n2"])
            #expect(again1.message.redelivered && again2.message.redelivered)
            #expect(try await channel.get(queue) == nil)
            try await channel.ack(deliveryTag: tags[2])
        }
    }

    @Test func ackMultipleAcksEverythingUpToTheTag() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            for i in 1...5 { try await channel.publish(ByteBuffer(string: "a\(i)"), routingKey: queue) }
            var tags: [UInt64] = []
            for _ in 1...5 { tags.append(try #require(try await channel.get(queue)).message.deliveryTag) }
            #expect(tags == [1, 2, 3, 4, 5])
            try await channel.ack(deliveryTag: 3, multiple: true)
            // Closing the channel requeues what is still unacked: exactly a4 and a5.
            try await channel.close()
            let other = try await connection.openChannel()
            #expect(try await other.queueDeclare(queue, passive: true).messageCount == 2)
            let rest = [try #require(try await other.get(queue, noAck: true)),
                        try #require(try await other.get(queue, noAck: true))]
            #expect(rest.map(\.message.bodyString) == ["a4", "a5"])
            #expect(rest.map(\.message.redelivered) == [true, true])
        }
    }

    @Test func unknownDeliveryTagIsAPreconditionFailure() async throws {
        try await LiveBroker.withChannel { connection, channel in
            try await channel.ack(deliveryTag: 42)
            // basic.ack has no reply; the broker's 406 arrives asynchronously.
            let reason = try await expectChannelClose { try await channel.queueDeclare("", exclusive: true) }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText == "PRECONDITION_FAILED - unknown delivery tag 42")
            #expect(connection.isOpen)
        }
    }
}
