import NIOCore
import Testing
import WarrenClient

/// Messages refused without requeue (or expired) go to the queue's dead-letter exchange, with
/// RabbitMQ's x-death history added to their headers.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct DeadLetterTests {
    /// A work queue fed by a direct exchange, dead-lettering to a fanout exchange and its queue.
    /// Everything is exclusive or auto-delete, so it disappears with the connection.
    struct Setup {
        var source: String
        var work: String
        var deadLetterExchange: String
        var deadLetters: String

        init(_ channel: AMQPChannel, workArguments: FieldTable = [:], deadLetterType: String = "fanout",
             deadLetterKey: String = "") async throws {
            source = LiveBroker.uniqueName("dlx-src")
            deadLetterExchange = LiveBroker.uniqueName("dlx")
            try await channel.exchangeDeclare(source, type: "direct", autoDelete: true)
            try await channel.exchangeDeclare(deadLetterExchange, type: deadLetterType, autoDelete: true)
            deadLetters = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(deadLetters, exchange: deadLetterExchange, routingKey: deadLetterKey)
            var arguments = workArguments
            arguments["x-dead-letter-exchange"] = .string(deadLetterExchange)
            work = try await channel.queueDeclare("", exclusive: true, arguments: arguments).queue
            try await channel.queueBind(work, exchange: source, routingKey: "rk")
        }

        func delete(_ channel: AMQPChannel) async throws {
            try await channel.exchangeDelete(source)
            try await channel.exchangeDelete(deadLetterExchange)
        }
    }

    @Test func nackWithoutRequeueDeadLettersWithXDeath() async throws {
        try await LiveBroker.withChannel { _, channel in
            let setup = try await Setup(channel)
            let properties = BasicProperties(
                contentType: "text/plain", headers: ["app-header": "kept"], messageID: "m-1")
            try await channel.publish(ByteBuffer(string: "poison"), exchange: setup.source, routingKey: "rk",
                                      properties: properties)
            let got = try #require(try await channel.get(setup.work))
            try await channel.nack(deliveryTag: got.message.deliveryTag, requeue: false)
            #expect(try await channel.queueDeclare(setup.work, passive: true).messageCount == 0)

            let dead = try await waitForMessage(channel, setup.deadLetters)
            #expect(dead.message.bodyString == "poison")
            #expect(dead.message.exchange == setup.deadLetterExchange)
            #expect(dead.message.routingKey == "rk")  // the original key, as no x-dead-letter-routing-key is set
            #expect(dead.message.redelivered == false)
            #expect(dead.message.properties.contentType == "text/plain")
            #expect(dead.message.properties.messageID == "m-1")

            let headers = try #require(dead.message.properties.headers)
            #expect(headers["app-header"] == "kept")
            let death = try xDeath(headers)
            #expect(death["reason"] == "rejected")
            #expect(death["queue"] == .string(setup.work))
            #expect(death["exchange"] == .string(setup.source))
            #expect(death["routing-keys"] == .array(["rk"]))
            // count is a signed 64-bit integer ('l'), time a timestamp ('T') in whole seconds.
            #expect(death["count"] == .int64(1))
            guard case .timestamp(let time) = death["time"] else {
                Issue.record("x-death time is \(String(describing: death["time"])), not a timestamp")
                return
            }
            #expect(time > 1_600_000_000)
            #expect(death.keys == ["count", "reason", "queue", "time", "exchange", "routing-keys"])
            // RabbitMQ 3.10 adds the first death's reason, queue and exchange as headers of their own.
            #expect(headers["x-first-death-reason"] == "rejected")
            #expect(headers["x-first-death-queue"] == .string(setup.work))
            #expect(headers["x-first-death-exchange"] == .string(setup.source))
            try await setup.delete(channel)
        }
    }

    @Test func rejectWithoutRequeueDeadLettersWithTheConfiguredKey() async throws {
        try await LiveBroker.withChannel { _, channel in
            let setup = try await Setup(
                channel, workArguments: ["x-dead-letter-routing-key": "dead"], deadLetterType: "direct",
                deadLetterKey: "dead")
            try await channel.publish(ByteBuffer(string: "refused"), exchange: setup.source, routingKey: "rk")
            let got = try #require(try await channel.get(setup.work))
            try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)

            let dead = try await waitForMessage(channel, setup.deadLetters)
            #expect(dead.message.bodyString == "refused")
            #expect(dead.message.routingKey == "dead")
            let death = try xDeath(try #require(dead.message.properties.headers))
            #expect(death["reason"] == "rejected")
            #expect(death["queue"] == .string(setup.work))
            // x-death keeps the key the message was published with, not the dead-letter key.
            #expect(death["routing-keys"] == .array(["rk"]))
            #expect(death["count"] == .int64(1))
            try await setup.delete(channel)
        }
    }

    @Test func requeuedMessagesAreNotDeadLettered() async throws {
        try await LiveBroker.withChannel { _, channel in
            let setup = try await Setup(channel)
            try await channel.publish(ByteBuffer(string: "again"), exchange: setup.source, routingKey: "rk")
            let got = try #require(try await channel.get(setup.work))
            try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: true)
            let back = try #require(try await channel.get(setup.work, noAck: true))
            #expect(back.message.redelivered)
            #expect(back.message.properties.headers == nil)  // no x-death on a requeued message
            #expect(try await channel.get(setup.deadLetters) == nil)
            try await setup.delete(channel)
        }
    }

    @Test func expiredMessagesDeadLetterWithReasonExpired() async throws {
        try await LiveBroker.withChannel { _, channel in
            let setup = try await Setup(channel, workArguments: ["x-message-ttl": .int32(1)])
            try await channel.publish(ByteBuffer(string: "stale"), exchange: setup.source, routingKey: "rk")
            let dead = try await waitForMessage(channel, setup.deadLetters)
            #expect(dead.message.bodyString == "stale")
            let death = try xDeath(try #require(dead.message.properties.headers))
            #expect(death["reason"] == "expired")
            #expect(death["queue"] == .string(setup.work))
            #expect(dead.message.properties.headers?["x-first-death-reason"] == "expired")
            try await setup.delete(channel)
        }
    }

    /// The single entry of the x-death array.
    private func xDeath(_ headers: FieldTable) throws -> FieldTable {
        let deaths = try #require(headers["x-death"]?.arrayValue, "no x-death array in \(headers)")
        try #require(deaths.count == 1)
        return try #require(deaths[0].tableValue)
    }

    /// Dead-lettering happens after the broker handled the nack/reject, so poll briefly.
    private func waitForMessage(_ channel: AMQPChannel, _ queue: String) async throws -> AMQPGetResult {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let got = try await channel.get(queue, noAck: true) { return got }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(what: "a message in \(queue)")
    }
}
