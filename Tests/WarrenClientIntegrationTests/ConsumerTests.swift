import NIOCore
import Testing
import WarrenClient

/// basic.consume: deliveries, prefetch, and the ways a consumer ends.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ConsumerTests {
    @Test func consumeWithManualAck() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            for i in 1...3 { try await channel.publish(ByteBuffer(string: "c\(i)"), routingKey: queue) }
            let consumer = try await channel.consume(queue, consumerTag: "my-consumer")
            #expect(consumer.consumerTag == "my-consumer")
            let deliveries = try await Recorder<AMQPDelivery>.recording(consumer).waitFor(count: 3)
            #expect(deliveries.map(\.bodyString) == ["c1", "c2", "c3"])
            #expect(deliveries.map(\.deliveryTag) == [1, 2, 3])
            #expect(deliveries.allSatisfy { $0.consumerTag == "my-consumer" && !$0.redelivered })
            #expect(deliveries.allSatisfy { $0.exchange == "" && $0.routingKey == queue })
            for delivery in deliveries { try await channel.ack(deliveryTag: delivery.deliveryTag) }
            try await consumer.cancel()
            // Acked, so nothing comes back when the channel closes.
            try await channel.close()
            let other = try await channel.connection.openChannel()
            #expect(try await other.queueDeclare(queue, passive: true).messageCount == 0)
        }
    }

    @Test func serverNamesTheConsumerTag() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let consumer = try await channel.consume(queue, noAck: true)
            #expect(consumer.consumerTag.hasPrefix("amq.ctag-"))
            try await channel.publish(ByteBuffer(string: "x"), routingKey: queue)
            let delivery = try await Recorder<AMQPDelivery>.recording(consumer).waitFor(count: 1)[0]
            #expect(delivery.consumerTag == consumer.consumerTag)
        }
    }

    @Test func prefetchLimitsUnackedDeliveries() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            for i in 1...5 { try await channel.publish(ByteBuffer(string: "p\(i)"), routingKey: queue) }
            try await channel.qos(prefetchCount: 2)
            let recorder = await Recorder<AMQPDelivery>.recording(try await channel.consume(queue))
            let first = try await recorder.waitFor(count: 2)
            // With two unacked the broker sends nothing more: the other three stay ready.
            try await Task.sleep(for: .milliseconds(300))
            #expect(await recorder.items.count == 2)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 3)

            try await channel.ack(deliveryTag: first[0].deliveryTag)
            let third = try await recorder.waitFor(count: 3)
            #expect(third[2].bodyString == "p3")
            try await Task.sleep(for: .milliseconds(200))
            #expect(await recorder.items.count == 3)

            // Acking both outstanding with `multiple` frees two slots at once.
            try await channel.ack(deliveryTag: third[2].deliveryTag, multiple: true)
            let all = try await recorder.waitFor(count: 5)
            #expect(all.map(\.bodyString) == ["p1", "p2", "p3", "p4", "p5"])
            try await channel.ack(deliveryTag: all[4].deliveryTag, multiple: true)
        }
    }

    @Test func deletingTheQueueCancelsTheConsumer() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let consumer = try await channel.consume(queue)
            let recorder = await Recorder<AMQPDelivery>.recording(consumer)
            try await connection.openChannel().queueDelete(queue)

            let end = try await recorder.waitForEnd()
            guard case .failure(let error) = end else {
                Issue.record("the consumer ended normally; expected consumerCancelledByServer")
                return
            }
            #expect(error as? AMQPClientError == .consumerCancelledByServer(consumerTag: consumer.consumerTag))
            // Only the consumer ended: its channel still works.
            #expect(channel.isOpen)
            try await channel.queueDeclare("", exclusive: true)
        }
    }

    @Test func cancelEndsTheSequenceNormally() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "before"), routingKey: queue)
            let consumer = try await channel.consume(queue, noAck: true)
            let recorder = await Recorder<AMQPDelivery>.recording(consumer)
            try await recorder.waitFor(count: 1)
            try await consumer.cancel()
            guard case .success = try await recorder.waitForEnd() else {
                Issue.record("the sequence threw after basic.cancel")
                return
            }
            #expect(try await channel.queueDeclare(queue, passive: true).consumerCount == 0)
            // Published after the cancel, so it stays in the queue. (Fetched with basic.get, not
            // counted with a passive queue.declare: RabbitMQ answers that with a prioritised call
            // that can overtake messages just published on the same channel.)
            try await channel.publish(ByteBuffer(string: "after"), routingKey: queue)
            #expect(try await channel.get(queue, noAck: true)?.message.bodyString == "after")
            #expect(await recorder.items.map(\.bodyString) == ["before"])
        }
    }

    @Test func closingTheChannelEndsItsConsumers() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let recorder = await Recorder<AMQPDelivery>.recording(try await channel.consume(queue))
            try await channel.close()
            guard case .success = try await recorder.waitForEnd() else {
                Issue.record("the sequence threw after a clean channel close")
                return
            }
        }
    }

    @Test func closingAChannelRequeuesItsUnackedMessages() async throws {
        try await LiveBroker.withConnection { connection in
            let first = try await connection.openChannel()
            let queue = try await first.queueDeclare("", exclusive: true).queue
            for i in 1...3 { try await first.publish(ByteBuffer(string: "u\(i)"), routingKey: queue) }
            let firstRecorder = await Recorder<AMQPDelivery>.recording(try await first.consume(queue))
            let unacked = try await firstRecorder.waitFor(count: 3)
            #expect(unacked.allSatisfy { !$0.redelivered })
            try await first.ack(deliveryTag: unacked[0].deliveryTag)
            try await first.close()

            let second = try await connection.openChannel()
            let secondRecorder = await Recorder<AMQPDelivery>.recording(try await second.consume(queue))
            let again = try await secondRecorder.waitFor(count: 2)
            #expect(again.map(\.bodyString) == ["u2", "u3"])
            #expect(again.map(\.redelivered) == [true, true])
            try await second.ack(deliveryTag: again[1].deliveryTag, multiple: true)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await secondRecorder.items.count == 2)
        }
    }

    @Test func consumersOnOneQueueShareItRoundRobin() async throws {
        try await LiveBroker.withChannel { connection, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let one = await Recorder<AMQPDelivery>.recording(try await channel.consume(queue, noAck: true))
            let other = try await connection.openChannel()
            let two = await Recorder<AMQPDelivery>.recording(try await other.consume(queue, noAck: true))
            for i in 0..<10 { try await channel.publish(ByteBuffer(string: "\(i)"), routingKey: queue) }
            let deadline = ContinuousClock.now + .seconds(10)
            while await one.items.count + two.items.count < 10, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let (a, b) = (await one.items.map(\.bodyString), await two.items.map(\.bodyString))
            #expect(a.count == 5 && b.count == 5)
            #expect(Set(a + b) == Set((0..<10).map(String.init)))
        }
    }
}
