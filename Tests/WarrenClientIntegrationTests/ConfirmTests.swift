import NIOCore
import Testing
import WarrenClient

/// Publisher confirms and mandatory returns.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ConfirmTests {
    @Test func thousandPublishesAreAllConfirmed() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.confirmSelect()
            #expect(channel.isConfirmMode)
            var sequences: [UInt64] = []
            for i in 1...1_000 {
                sequences.append(try await channel.publish(ByteBuffer(string: "m\(i)"), routingKey: queue))
            }
            #expect(sequences == Array(1...1_000))

            // Waiting for single messages, while the rest is still in flight.
            async let first = channel.waitForConfirm(1)
            async let middle = channel.waitForConfirm(500)
            async let last = channel.waitForConfirm(1_000)
            #expect(try await [first, middle, last] == [.ack, .ack, .ack])

            let summary = try await channel.waitForConfirms()
            #expect(summary.allAcked)
            #expect(summary.upTo == 1_000)
            #expect(summary.nacked.isEmpty)
            // Readable without waiting once the waits are over.
            #expect(channel.confirmProgress == AMQPConfirmProgress(settledThrough: 1_000, nacks: 0))
            // Confirms that arrived earlier are still answered.
            #expect(try await channel.waitForConfirm(7) == .ack)
            // Nothing outstanding: answered at once, covering the same range.
            #expect(try await channel.waitForConfirms().upTo == 1_000)

            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 1_000)
            // In order, too.
            #expect(try #require(try await channel.get(queue, noAck: true)).message.bodyString == "m1")
        }
    }

    @Test func publishConfirmedTurnsOnConfirmMode() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            #expect(!channel.isConfirmMode)
            let error = try await expectClientError { _ = try await channel.waitForConfirms() }
            #expect(error == .notInConfirmMode)
            #expect(try await channel.publishConfirmed(ByteBuffer(string: "c"), routingKey: queue) == .ack)
            #expect(channel.isConfirmMode)
            // The sequence continues on the channel: the next publish is number 2.
            #expect(try await channel.publish(ByteBuffer(string: "d"), routingKey: queue) == 2)
            #expect(try await channel.waitForConfirm(2) == .ack)
        }
    }

    @Test func rejectPublishOverflowIsNacked() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare(
                "", exclusive: true, arguments: ["x-max-length": .int32(1), "x-overflow": "reject-publish"]).queue
            try await channel.confirmSelect()
            let accepted = try await channel.publish(ByteBuffer(string: "fits"), routingKey: queue)
            let refused = try await channel.publish(ByteBuffer(string: "full"), routingKey: queue)
            #expect(try await channel.waitForConfirm(accepted) == .ack)
            #expect(try await channel.waitForConfirm(refused) == .nack)
            let summary = try await channel.waitForConfirms()
            #expect(summary.nacked == [refused])
            #expect(!summary.allAcked)
            #expect(channel.confirmProgress == AMQPConfirmProgress(settledThrough: refused, nacks: 1))
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 1)
        }
    }

    /// An unroutable mandatory message comes back (basic.return) before the broker confirms it.
    ///
    /// The order is checked deterministically: the moment `waitForConfirm` resumes, the return
    /// must already be sitting in `returns` (``drainBuffered`` reads it without waiting), because
    /// the client handles the broker's frames in order. A second task reading `returns` and
    /// racing the confirm to a shared log would depend on task scheduling and could flake.
    @Test func mandatoryReturnArrivesBeforeItsConfirm() async throws {
        try await LiveBroker.withChannel { _, channel in
            try await channel.confirmSelect()
            let unroutable = LiveBroker.uniqueName("no-route")
            let properties = BasicProperties(
                contentType: "text/plain", headers: ["attempt": .int32(1)], correlationID: "corr-42", messageID: "m-42")
            let body = ByteBuffer.pattern(count: 1_000)
            let sequence = try await channel.publish(
                body, exchange: "", routingKey: unroutable, mandatory: true, properties: properties)
            var events: [String] = []
            let confirmation = try await channel.waitForConfirm(sequence)
            let returned = await drainBuffered(channel.returns)
            events += returned.map { _ in "return" }
            events.append("confirm")
            #expect(events == ["return", "confirm"])
            // RabbitMQ acks an unroutable message once it has returned it: it is "handled".
            #expect(confirmation == .ack)

            let message = try #require(returned.first)
            #expect(message.replyCode == 312)
            #expect(message.replyText == "NO_ROUTE")
            #expect(message.exchange == "")
            #expect(message.routingKey == unroutable)
            #expect(message.body == body)
            #expect(message.properties == properties)
        }
    }

    @Test func routableMandatoryMessagesAreNotReturned() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.confirmSelect()
            let sequence = try await channel.publish(ByteBuffer(string: "ok"), routingKey: queue, mandatory: true)
            #expect(try await channel.waitForConfirm(sequence) == .ack)
            #expect(await drainBuffered(channel.returns).isEmpty)
        }
    }

    @Test func returnsWithoutConfirmMode() async throws {
        try await LiveBroker.withChannel { _, channel in
            let exchange = LiveBroker.uniqueName("unbound")
            try await channel.exchangeDeclare(exchange, type: "direct", autoDelete: true)
            let recorder = await Recorder<AMQPReturnedMessage>.recording(channel.returns)
            for i in 1...3 {
                try await channel.publish(ByteBuffer(string: "r\(i)"), exchange: exchange, routingKey: "k\(i)",
                                          mandatory: true)
            }
            try await channel.publish(ByteBuffer(string: "not mandatory"), exchange: exchange, routingKey: "k")
            let returned = try await recorder.waitFor(count: 3)
            #expect(returned.map { String(buffer: $0.body) } == ["r1", "r2", "r3"])
            #expect(returned.map(\.routingKey) == ["k1", "k2", "k3"])
            #expect(returned.allSatisfy { $0.exchange == exchange && $0.replyCode == 312 })
            try await channel.exchangeDelete(exchange)
            // The non-mandatory one was dropped silently; a round trip shows nothing else came back.
            try await channel.queueDeclare("", exclusive: true)
            #expect(await recorder.items.count == 3)
            try await channel.close()
            guard case .success = try await recorder.waitForEnd() else {
                Issue.record("returns should end normally when the channel closes")
                return
            }
        }
    }
}
