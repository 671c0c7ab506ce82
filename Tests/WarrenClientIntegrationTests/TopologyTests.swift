import NIOCore
import Testing
import WarrenClient

/// Declaring queues and exchanges of every type, and that they route as RabbitMQ says they do.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct TopologyTests {
    @Test func serverNamedQueue() async throws {
        try await LiveBroker.withChannel { _, channel in
            let declared = try await channel.queueDeclare("", exclusive: true)
            #expect(declared.queue.hasPrefix("amq.gen-"))
            #expect(declared.messageCount == 0)
            #expect(declared.consumerCount == 0)
            // The name works like any other: the default exchange routes to it by name.
            // Confirmed, so the passive declare below counts it (see ConsumerTests.cancelEnds...).
            #expect(try await channel.publishConfirmed(ByteBuffer(string: "x"), routingKey: declared.queue) == .ack)
            let again = try await channel.queueDeclare(declared.queue, passive: true)
            #expect(again.queue == declared.queue)
            #expect(again.messageCount == 1)
        }
    }

    @Test func namedQueueCountsMessagesAndConsumers() async throws {
        try await LiveBroker.withChannel { connection, channel in
            let name = LiveBroker.uniqueName("named")
            // Exclusive, so other channels of this connection may use it and it goes away with the
            // connection. (Not auto-delete: cancelling its last consumer would delete it.)
            let declared = try await channel.queueDeclare(name, exclusive: true)
            #expect(declared.queue == name)
            for i in 0..<3 { try await channel.publish(ByteBuffer(string: "\(i)"), routingKey: name) }
            let other = try await connection.openChannel()
            let consumer = try await other.consume(name, noAck: false)
            let state = try await channel.queueDeclare(name, passive: true)
            #expect(state.consumerCount == 1)
            // Purge only removes ready messages; the consumer may already hold some.
            try await consumer.cancel()
            try await other.close()
            #expect(try await channel.queueDeclare(name, passive: true).consumerCount == 0)
            #expect(try await channel.queuePurge(name) == 3)
            #expect(try await channel.queueDelete(name) == 0)
            let error = try await expectChannelClose { try await channel.queueDeclare(name, passive: true) }
            #expect(error.replyCode == 404)
        }
    }

    @Test func directExchangeRoutesByExactKey() async throws {
        try await LiveBroker.withChannel { _, channel in
            let exchange = LiveBroker.uniqueName("direct")
            try await channel.exchangeDeclare(exchange, type: "direct", autoDelete: true)
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(queue, exchange: exchange, routingKey: "red")
            try await channel.publish(ByteBuffer(string: "red"), exchange: exchange, routingKey: "red")
            try await channel.publish(ByteBuffer(string: "blue"), exchange: exchange, routingKey: "blue")
            try await channel.publish(ByteBuffer(string: "red.x"), exchange: exchange, routingKey: "red.x")
            #expect(try await bodies(channel, queue) == ["red"])
            try await channel.exchangeDelete(exchange)
        }
    }

    @Test func fanoutExchangeIgnoresTheKey() async throws {
        try await LiveBroker.withChannel { _, channel in
            let exchange = LiveBroker.uniqueName("fanout")
            try await channel.exchangeDeclare(exchange, type: "fanout", autoDelete: true)
            let first = try await channel.queueDeclare("", exclusive: true).queue
            let second = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(first, exchange: exchange, routingKey: "ignored")
            try await channel.queueBind(second, exchange: exchange)
            try await channel.publish(ByteBuffer(string: "all"), exchange: exchange, routingKey: "anything")
            #expect(try await bodies(channel, first) == ["all"])
            #expect(try await bodies(channel, second) == ["all"])
            try await channel.exchangeDelete(exchange)
        }
    }

    @Test func topicExchangeMatchesWildcards() async throws {
        try await LiveBroker.withChannel { _, channel in
            let exchange = LiveBroker.uniqueName("topic")
            try await channel.exchangeDeclare(exchange, type: "topic", autoDelete: true)
            let star = try await channel.queueDeclare("", exclusive: true).queue
            let hash = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(star, exchange: exchange, routingKey: "stock.*.nyse")
            try await channel.queueBind(hash, exchange: exchange, routingKey: "stock.#")
            for key in ["stock.ibm.nyse", "stock.ibm.lse", "stock.a.b.nyse", "stock", "bond.x.nyse"] {
                try await channel.publish(ByteBuffer(string: key), exchange: exchange, routingKey: key)
            }
            #expect(try await bodies(channel, star) == ["stock.ibm.nyse"])
            // '#' matches zero or more words, so plain "stock" matches "stock.#".
            #expect(try await bodies(channel, hash) == ["stock.ibm.nyse", "stock.ibm.lse", "stock.a.b.nyse", "stock"])
            try await channel.exchangeDelete(exchange)
        }
    }

    @Test func headersExchangeMatchesAllOrAny() async throws {
        try await LiveBroker.withChannel { _, channel in
            let exchange = LiveBroker.uniqueName("headers")
            try await channel.exchangeDeclare(exchange, type: "headers", autoDelete: true)
            let all = try await channel.queueDeclare("", exclusive: true).queue
            let any = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(all, exchange: exchange, arguments: ["x-match": "all", "format": "pdf", "type": "report"])
            try await channel.queueBind(any, exchange: exchange, arguments: ["x-match": "any", "format": "pdf", "type": "report"])
            let messages: [(String, FieldTable)] = [
                ("both", ["format": "pdf", "type": "report"]),
                ("format", ["format": "pdf"]),
                ("neither", ["format": "zip", "type": "log"]),
            ]
            for (body, headers) in messages {
                try await channel.publish(ByteBuffer(string: body), exchange: exchange, routingKey: "",
                                          properties: BasicProperties(headers: headers))
            }
            #expect(try await bodies(channel, all) == ["both"])
            #expect(try await bodies(channel, any) == ["both", "format"])
            try await channel.exchangeDelete(exchange)
        }
    }

    @Test func exchangeToExchangeBinding() async throws {
        try await LiveBroker.withChannel { _, channel in
            let source = LiveBroker.uniqueName("e2e-src")
            let destination = LiveBroker.uniqueName("e2e-dst")
            try await channel.exchangeDeclare(source, type: "fanout")
            try await channel.exchangeDeclare(destination, type: "direct")
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(queue, exchange: destination, routingKey: "k")
            try await channel.exchangeBind(destination: destination, source: source)
            // The fanout passes every message on with its routing key; the direct one filters it.
            try await channel.publish(ByteBuffer(string: "via source"), exchange: source, routingKey: "k")
            try await channel.publish(ByteBuffer(string: "other key"), exchange: source, routingKey: "not-k")
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.bodyString == "via source")
            #expect(got.message.exchange == source)
            #expect(got.message.routingKey == "k")
            #expect(got.messageCount == 0)
            // Unbound, the source no longer reaches the queue.
            try await channel.exchangeUnbind(destination: destination, source: source)
            try await channel.publish(ByteBuffer(string: "after unbind"), exchange: source, routingKey: "k")
            #expect(try await bodies(channel, queue) == [])
            try await channel.exchangeDelete(source)
            try await channel.exchangeDelete(destination)
        }
    }

    @Test func passiveExchangeDeclareAndDelete() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let exchange = LiveBroker.uniqueName("passive-ex")
            try await channel.exchangeDeclare(exchange, type: "topic")
            try await channel.exchangeDeclare(exchange, passive: true)
            try await channel.exchangeDelete(exchange)
            let reason = try await expectChannelClose { try await channel.exchangeDeclare(exchange, passive: true) }
            #expect(reason.replyCode == 404)
            #expect(reason.replyText == "NOT_FOUND - no exchange '\(exchange)' in vhost '/'")
        }
    }

    /// Everything in `queue` right now, fetched with basic.get (after a round trip that makes
    /// sure earlier publishes on this channel were routed).
    private func bodies(_ channel: AMQPChannel, _ queue: String) async throws -> [String] {
        var result: [String] = []
        while let got = try await channel.get(queue, noAck: true) { result.append(got.message.bodyString) }
        return result
    }
}
