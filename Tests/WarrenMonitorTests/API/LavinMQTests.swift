import Foundation
import NIOCore
import Testing
import WarrenWire
@testable import WarrenMonitor

/// LavinMQ 1.0.1's real management responses, read through the same ManagementSource as
/// RabbitMQ's: what the adapter maps, and what the commands print from it.
@Suite("LavinMQ 1.0.1 management API, beside RabbitMQ 3.10.8")
struct LavinMQTests {
    func snapshot(_ folder: String?) async throws -> Snapshot {
        let (source, _) = try FixtureManagement.source(folder)
        return Snapshot(state: try await source.fetch(), source: source.description)
    }

    @Test func theBrokerIsKnownFromItsOverview() throws {
        let lavin = BrokerIdentity(overview: try Fixture.json("overview", folder: Fixture.lavinmq))
        #expect(lavin == BrokerIdentity(product: .lavinmq, version: "1.0.1"))
        #expect(lavin.description == "LavinMQ 1.0.1")
        let rabbit = BrokerIdentity(overview: try Fixture.json("overview"))
        #expect(rabbit.product == .rabbitmq && rabbit.description == "RabbitMQ 3.10.8")
        // Warren's embedded broker answers as RabbitMQ does, naming itself.
        let warren = BrokerIdentity(overview: try JSON.parse(Data(#"{"product_name":"Warren","product_version":"0.9","rabbitmq_version":"0.9"}"#.utf8)))
        #expect(warren.product == .warren && warren.subject == "Warren's embedded broker")
        #expect(BrokerIdentity(overview: try JSON.parse(Data(#"{"rabbitmq_version":"3.6.1"}"#.utf8))).description == "RabbitMQ 3.6.1")
        #expect(BrokerIdentity(serverProduct: "LavinMQ", version: "1.0.1") == lavin)
        #expect(BrokerIdentity(serverProduct: "SomeMQ", version: nil).description == "SomeMQ")
    }

    @Test func theSnapshotNamesTheBroker() async throws {
        #expect(try await snapshot(Fixture.lavinmq).overview.broker?.description == "LavinMQ 1.0.1")
        #expect(try await snapshot(nil).overview.broker?.description == "RabbitMQ 3.10.8")
    }

    @Test func readyAndUnackedAreMappedFromLavinMQsNames() async throws {
        let snapshot = try await snapshot(Fixture.lavinmq)
        let orders = try #require(snapshot.queue("lv.orders"))
        #expect(orders.messages == 50 && orders.messagesReady == 40 && orders.messagesUnacknowledged == 10)
        #expect(orders.messageBytesReady == 3000 && orders.messageBytesUnacknowledged == 740)
        #expect(orders.messageBytes == 3740 && orders.messagesPersistent == 50)
        #expect(orders.type == "classic" && orders.node == nil)
        // deliver_get is LavinMQ's deliver + get + get_no_ack, with their rates.
        #expect(orders.messageStats.deliverGet == Counter(total: 10, apiRate: 0))
        #expect(snapshot.queue("lv.work")?.messageStats.deliverGet?.total == 5)
        #expect(snapshot.queueRates[orders.id]?.deliver == Rate(0, .api))
        #expect(snapshot.overview.messageStats.deliverGet?.total == 6_224_230)
        #expect(snapshot.overview.messagesReady == 58_661)
        // RabbitMQ's names still read as before.
        let rabbit = try await self.snapshot(nil)
        #expect(rabbit.queues.contains { $0.messagesReady != nil && $0.messageBytesReady != nil })
    }

    @Test func messageStatesSayThereAreNone() async throws {
        let snapshot = try await snapshot(Fixture.lavinmq)
        let states = try #require(snapshot.messageStates[QueueID(name: "lv.orders")])
        #expect(states.precision == .segmentFiles)
        #expect(states.readyBytes == 3000 && states.unackedBytes == 740 && states.persistent == 50)
        #expect(states.alpha == nil && states.inMemory == nil)
        #expect(snapshot.messageStates.count == snapshot.queues.count)
        let rabbit = try await self.snapshot(nil)
        #expect(!rabbit.messageStates.values.contains { $0.precision == .segmentFiles })
    }

    @Test func deadLetterQueuesAndTopology() async throws {
        let snapshot = try await snapshot(Fixture.lavinmq)
        let dlq = try #require(snapshot.deadLetters.queue(QueueID(name: "lv.dlq")))
        #expect(dlq.sources == [QueueID(name: "lv.work")])
        #expect(dlq.depth == 5)
        #expect(snapshot.exchanges.count == 8)
        #expect(snapshot.exchanges.first { $0.name == "lv.topic" }?.type == "topic")
        #expect(snapshot.bindings.contains { $0.source == "lv.topic" && $0.routingKey == "orders.#" })
        let consumer = try #require(snapshot.consumers.first)
        #expect(consumer.queue == QueueID(name: "lv.orders") && consumer.prefetchCount == 10 && consumer.ackRequired)
        #expect(consumer.active && consumer.connectionName == "127.0.0.1:41194 -> 127.0.0.1:37672")
        #expect(snapshot.connections.count == 2)
        let node = try #require(snapshot.nodes.first)
        #expect(node.name == "vm" && node.running && node.memoryUsed == 24_002_560 && node.diskFreeLimit == nil)
        #expect(snapshot.cluster.alarms.isEmpty && snapshot.gaps.isEmpty)
    }

    @Test func aQueueAloneLearnsTheBrokerOnce() async throws {
        let (source, transport) = try FixtureManagement.source(Fixture.lavinmq)
        let first = try await source.queueDetail(QueueID(name: "lv.orders"))
        let again = try await source.queueDetail(QueueID(name: "lv.orders"))
        #expect(first.messagesReady == 40 && again.messagesUnacknowledged == 10)
        #expect(transport.paths.filter { $0 == "/api/overview" }.count == 1)
        #expect(source.columns(["name", "messages_ready", "message_bytes_unacknowledged"]) == "name,ready,unacked_bytes")
        #expect(ManagementDialect.rabbitmq.queueField("messages_ready") == "messages_ready")
    }

    @Test func queuesCommand() async throws {
        let snapshot = try await snapshot(Fixture.lavinmq)
        let listings = Array(ListTables.queueListings(snapshot))
        let orders = try #require(listings.first { $0.name == "lv.orders" })
        #expect(orders.ready == 40 && orders.unacked == 10)
        let json = String(decoding: try JSONEncoder().encode(orders), as: UTF8.self)
        #expect(json.contains(#""ready":40"#) && json.contains(#""unacked":10"#) && json.contains(#""segmentFiles""#))
        let text = ListTables.queues(listings).render()
        let line = try #require(text.split(separator: "\n").first { $0.contains("lv.orders") })
        #expect(line.contains("mmap ready 2.9K unacked 740B"))
        #expect(line.split(separator: " ").filter { $0 == "-" }.isEmpty, "no dash on LavinMQ: \(line)")
        let dlqLine = try #require(text.split(separator: "\n").first { $0.contains("lv.dlq") })
        #expect(dlqLine.hasSuffix("<- lv.work"))
    }

    @Test func listCommandsOnBothBrokers() async throws {
        let lavin = try await snapshot(Fixture.lavinmq)
        let exchanges = ListTables.exchanges(lavin).render()
        #expect(exchanges.contains("lv.topic") && exchanges.contains("(default)"))
        let consumers = ListTables.consumers(lavin).render()
        #expect(consumers.contains("lv.orders") && consumers.contains("manual") && consumers.contains("yes"))
        let nodes = ListTables.nodes(lavin)
        #expect(nodes.count == 1)
        #expect(nodes[0].rows == [["vm", "yes", "23M", "24G", "78G", "", ""]])
        let rabbit = ListTables.nodes(try await snapshot(nil))
        #expect(rabbit[0].rows.first?[2...4] == ["131M", "9.4G", "79G"])
        #expect(!rabbit[0].render().contains("137687040"), "bytes for people, not raw counts")
    }

    @Test func peekedMessagesAndTheirNote() throws {
        let messages = try #require(try Fixture.json("get-dlq", folder: Fixture.lavinmq).array)
            .enumerated().map { MessageView(index: $0.offset + 1, fetched: $0.element) }
        #expect(messages.count == 2 && messages.allSatisfy(\.redelivered))
        #expect(messages[0].deadLetter.firstDeathQueue == "lv.work" && messages[0].deadLetter.firstDeathReason == "rejected")
        #expect(messages[0].bodyEncoding == .json && messages[0].bodyBytes == 7)
        #expect(Peek.requeueNote(BrokerIdentity(serverProduct: "LavinMQ", version: "1.0.1"))
            == "LavinMQ now marks the peeked messages redelivered")
        #expect(Peek.requeueNote(BrokerIdentity(serverProduct: "RabbitMQ", version: "3.10.8"), of: "them")
            == "RabbitMQ now marks them redelivered")
        #expect(Peek.requeueNote(BrokerIdentity(serverProduct: "Warren", version: nil))
            == "Warren's embedded broker now marks the peeked messages redelivered")
    }

    @Test func replayAndExportOfLavinMQsDeadLetters() throws {
        let fetched = try #require(try Fixture.json("get-dlq", folder: Fixture.lavinmq).array)
        let planner = ReplayPlanner(replayID: "r1", target: .origin)
        for (index, message) in fetched.enumerated() {
            let properties = MessageView.properties(message["properties"])
            guard case .publish(let exchange, let key, _, _) = planner.decide(properties: properties, sequence: index) else {
                Issue.record("message \(index) not replayed")
                continue
            }
            #expect(exchange == "" && key == "lv.work")
            let exported = ExportedMessage(exchange: message["exchange"]?.string ?? "",
                                           routingKey: message["routing_key"]?.string ?? "", redelivered: true,
                                           properties: properties, body: Array((message["payload"]?.string ?? "").utf8))
            let back = try ExportedMessage.parse(line: try exported.line(), number: 1)
            #expect(back.routingKey == "lv.work" && back.body == exported.body)
            #expect(DeadLetterHistory(headers: back.properties.headers).firstDeathQueue == "lv.work")
        }
    }
}
