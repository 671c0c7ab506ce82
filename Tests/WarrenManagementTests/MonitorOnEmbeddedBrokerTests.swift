import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenMonitor
import WarrenWire

extension ManagementTests {
    /// The monitor's suite against the embedded broker: the same code that watches RabbitMQ reads
    /// Warren's management API, with exact message states, and replays and peeks over AMQP.
    @Suite struct MonitorOnEmbeddedBrokerTests {
        static func withChannel<T>(_ url: String, _ body: (AMQPChannel) async throws -> T) async throws -> T {
            let connection = try await AMQPConnection.connect(to: url)
            do {
                let result = try await body(try await connection.openChannel())
                try? await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        }

        static func source(_ m: EmbeddedManagement) throws -> ManagementSource {
            try ManagementSource(url: "http://guest:guest@127.0.0.1:\(m.port)/")
        }

        @Test func snapshotShowsWhatWasDeclaredWithExactStatesAndDLQs() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.withChannel(m.amqpURL) { channel in
                    try await channel.exchangeDeclare("orders.dlx", type: "fanout")
                    _ = try await channel.queueDeclare("orders.dlq", durable: true)
                    try await channel.queueBind("orders.dlq", exchange: "orders.dlx")
                    _ = try await channel.queueDeclare("orders", durable: true,
                                                       arguments: ["x-dead-letter-exchange": "orders.dlx"])
                    for n in 0..<5 { try await channel.publish(ByteBuffer(string: "o\(n)"), routingKey: "orders") }
                    _ = try await channel.get("orders", noAck: true)
                }
                let poller = Poller(source: try Self.source(m), interval: 1)
                let status = await poller.poll()
                let snapshot = try #require(status.snapshot, "\(String(describing: status.error))")
                let orders = try #require(snapshot.queue("orders"))
                #expect(orders.messagesReady == 4)
                let states = try #require(snapshot.messageStates[QueueID(name: "orders")])
                #expect(states.precision == .exact)
                #expect(states.alpha == 4 && states.delta == 0)
                let dlq = try #require(snapshot.deadLetters.queue(QueueID(name: "orders.dlq")))
                #expect(dlq.sources == [QueueID(name: "orders")])
                #expect(snapshot.overview.broker?.product == .warren)
            }
        }

        @Test func replayPutsDeadLettersBackInTheirOrigins() async throws {
            try await EmbeddedManagement.with { m in
                let sources = ["shop.a", "shop.b", "shop.c"]
                try await Self.withChannel(m.amqpURL) { channel in
                    try await channel.exchangeDeclare("dlx", type: "fanout")
                    _ = try await channel.queueDeclare("all.dlq")
                    try await channel.queueBind("all.dlq", exchange: "dlx")
                    for queue in sources {
                        _ = try await channel.queueDeclare(queue, arguments: ["x-dead-letter-exchange": "dlx"])
                        for n in 0..<100 {
                            try await channel.publish(ByteBuffer(string: "\(queue)-\(n)"), routingKey: queue,
                                                      properties: BasicProperties(headers: ["n": .int64(Int64(n))]))
                        }
                        while let got = try await channel.get(queue) {
                            try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                        }
                    }
                }
                let report = try await Replay.run(amqpURL: m.amqpURL, queue: "all.dlq", options: ReplayOptions())
                #expect(report.complete)
                #expect(report.progress.moved == 300)
                try await Self.withChannel(m.amqpURL) { channel in
                    #expect(try await channel.queueDeclare("all.dlq", passive: true).messageCount == 0)
                    for queue in sources {
                        var bodies: [String] = []
                        while let got = try await channel.get(queue, noAck: true) { bodies.append(got.message.bodyString) }
                        #expect(bodies == (0..<100).map { "\(queue)-\($0)" }, "\(queue) got its own messages, in order, once")
                    }
                }
            }
        }

        /// Given the embedded broker's management API, peek uses its peek: the messages are not
        /// even marked redelivered, and the note says so.
        @Test func peekWithTheManagementAPIHasNoSideEffects() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.withChannel(m.amqpURL) { channel in
                    _ = try await channel.queueDeclare("peeked.quietly")
                    for n in 0..<3 {
                        try await channel.publish(
                            ByteBuffer(string: #"{"n":\#(n)}"#), routingKey: "peeked.quietly",
                            properties: BasicProperties(contentType: "application/json",
                                                        headers: ["n": .int64(Int64(n)), "why": "test"],
                                                        deliveryMode: 2, messageID: "m\(n)"))
                    }
                }
                let management = try Self.source(m)
                let info = try await management.fetch().queues.first { $0.name == "peeked.quietly" }
                let result = try await Peek.run(amqpURL: m.amqpURL, queue: "peeked.quietly", count: 2, queueInfo: info,
                                                management: management)
                #expect(result.messages.map(\.body) == (0..<2).map { "{\n  \"n\" : \($0)\n}" })
                #expect(result.messages.map { $0.properties["message_id"] } == [.string("m0"), .string("m1")])
                #expect(result.messages.first?.headers?["n"] == .number(0))
                #expect(result.warnings.first == "Warren's embedded broker peeks without side effects: the queue is as it was")
                try await Self.withChannel(m.amqpURL) { channel in
                    var redelivered: [Bool] = []
                    while let got = try await channel.get("peeked.quietly", noAck: true) {
                        redelivered.append(got.message.redelivered)
                    }
                    #expect(redelivered == [false, false, false])
                }
            }
        }

        @Test func peekLeavesAClassicQueueAsItWas() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.withChannel(m.amqpURL) { channel in
                    _ = try await channel.queueDeclare("peeked")
                    for n in 0..<5 { try await channel.publish(ByteBuffer(string: "p\(n)"), routingKey: "peeked") }
                }
                let info = try await Self.source(m).fetch().queues.first { $0.name == "peeked" }
                let result = try await Peek.run(amqpURL: m.amqpURL, queue: "peeked", count: 3, queueInfo: info)
                #expect(result.messages.map(\.body) == ["p0", "p1", "p2"])
                // The note names the broker that did it: Warren's, like RabbitMQ, marks requeued
                // messages redelivered.
                #expect(result.warnings.first == "Warren's embedded broker now marks the peeked messages redelivered")
                try await Self.withChannel(m.amqpURL) { channel in
                    var bodies: [String] = []
                    while let got = try await channel.get("peeked", noAck: true) { bodies.append(got.message.bodyString) }
                    #expect(bodies == (0..<5).map { "p\($0)" })
                }
            }
        }
    }
}
