import Foundation
import Testing
@testable import WarrenMonitor

@Suite("Decoding RabbitMQ 3.10.8 management API responses")
struct DecodingTests {
    @Test func overview() throws {
        let overview = Overview(json: try Fixture.json("overview"))
        #expect(overview.broker == BrokerIdentity(product: .rabbitmq, version: "3.10.8"))
        #expect(overview.clusterName == "rabbit@vm")
        #expect(overview.messages == 6518)
        #expect(overview.messageStats.publish?.total == 406660)
        #expect(overview.messageStats.publish?.apiRate == 0)
        #expect(overview.objectTotals["queues"] == 35)
    }

    @Test func nodes() throws {
        let nodes = try Fixture.json("nodes").array!.compactMap(NodeInfo.init(json:))
        #expect(nodes.map(\.name).sorted() == ["rabbit2@localhost", "rabbit3@localhost", "rabbit@localhost"])
        #expect(nodes.allSatisfy { $0.running && !$0.memoryAlarm && !$0.diskFreeAlarm && $0.partitions.isEmpty })
        #expect(nodes[0].memoryLimit == 10110425497)
    }

    @Test func queues() throws {
        let queues = try Fixture.json("queues").array!.compactMap(QueueInfo.init(json:))
        #expect(queues.count == 35)
        let orders = try #require(queues.first { $0.name == "demo.orders" })
        #expect(orders.arguments["x-dead-letter-exchange"] == .string("demo.dlx"))
        #expect(orders.messages == 1995)
        #expect(orders.backingQueueStatus?.q4 == 1995)
        #expect(orders.backingQueueStatus?.deltaCount == 0)
        let lazy = try #require(queues.first { $0.name == "demo.lazy" })
        #expect(lazy.backingQueueStatus?.mode == "lazy")
        #expect(lazy.backingQueueStatus?.deltaCount == 2000)
        // RabbitMQ's delta tuple is not an exact count.
        #expect(lazy.backingQueueStatus?.delta == nil)
        let quorum = try #require(queues.first { $0.name == "demo.quorum" })
        #expect(quorum.isQuorum)
        #expect(quorum.deliveryLimit == 3)
        #expect(quorum.leader == "rabbit@localhost")
        #expect(quorum.members?.count == 3)
        #expect(quorum.backingQueueStatus == nil)
    }

    @Test func pagedQueues() throws {
        let json = try Fixture.json("queues-paged")
        let items = json["items"]!.array!.compactMap(QueueInfo.init(json:))
        #expect(items.map(\.name) == ["conf346570.conf", "conf346570.da"])
        #expect(json["page_count"]?.int == 18)
        // Trimmed columns: what is missing stays nil rather than failing.
        #expect(items[0].consumers == nil)
        #expect(items[0].backingQueueStatus == nil)
    }

    @Test func exchangesBindingsConsumersConnectionsVhosts() throws {
        let exchanges = try Fixture.json("exchanges").array!.compactMap(ExchangeInfo.init(json:))
        #expect(exchanges.count == 16)
        #expect(exchanges.first { $0.name == "" }?.messageStats.publishIn?.total == 306650)
        let bindings = try Fixture.json("bindings").array!.compactMap(BindingInfo.init(json:))
        #expect(bindings.count == 50)
        let consumers = try Fixture.json("consumers").array!.compactMap(ConsumerInfo.init(json:))
        #expect(consumers.first?.queue == QueueID(name: "demo.v2"))
        #expect(consumers.first?.prefetchCount == 10)
        let connections = try Fixture.json("connections").array!.compactMap(ConnectionInfo.init(json:))
        #expect(connections.first?.product == "Pika Python Client Library")
        let vhosts = try Fixture.json("vhosts").array!.compactMap(VhostInfo.init(json:))
        #expect(vhosts.map(\.name) == ["/"])
    }

    @Test func everyFixtureParses() throws {
        for name in ["bindings", "channels", "connections", "consumers", "definitions", "exchanges", "get-dlq",
                     "nodes", "overview", "queues-paged", "queues", "vhosts", "whoami"] {
            _ = try Fixture.json(name)
        }
        // get-dlq: the API's message form; its headers carry x-death.
        let messages = try Fixture.json("get-dlq").array!
        #expect(messages[0][path: "properties", "headers", "x-first-death-queue"]?.string == "demo.orders")
    }

    @Test func toleratesMissingExtraAndRetypedKeys() throws {
        let json = try JSON.parse(Data("""
            {"name": "q", "vhost": "v", "messages": "12", "future_field": {"x": 1}, "arguments": [],
             "backing_queue_status": {"q1": 1, "q2": 2, "q3": 3, "q4": 4, "delta": ["delta", "undefined", 5, 0, "undefined"]},
             "message_states": {"alpha": 5, "beta": 1, "gamma": 2, "delta": 7}}
            """.utf8))
        let queue = try #require(QueueInfo(json: json))
        #expect(queue.messages == 12)
        #expect(queue.arguments.isEmpty)
        #expect(queue.type == "classic")
        #expect(queue.backingQueueStatus?.alpha == 5)
        #expect(queue.backingQueueStatus?.deltaCount == 5)
        #expect(QueueInfo(json: .object(["vhost": .string("/")])) == nil)
        #expect(NodeInfo(json: .object(["name": .string("rabbit@down")]))?.running == false)
    }

    @Test func snapshotOfAllFixtures() throws {
        let snapshot = Snapshot(state: try Fixture.state(), source: "fixtures")
        #expect(snapshot.queues.count == 35)
        #expect(snapshot.cluster.quorumQueues.first?.leader == "rabbit@localhost")
        #expect(snapshot.cluster.quorumQueues.first?.hasQuorum == true)
        #expect(snapshot.messageStates[QueueID(name: "demo.lazy")]?.delta == 2000)
    }

    @Test func managementURLs() throws {
        let endpoint = try ManagementEndpoint(url: "http://ops:s%40cret@broker.example:15673/rabbit/")
        #expect(endpoint.username == "ops")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.baseURL == "http://broker.example:15673/rabbit/")
        #expect(endpoint.url(["queues", "/", "a b"]) == "http://broker.example:15673/rabbit/api/queues/%2F/a%20b")
        let plain = try ManagementEndpoint(url: "http://localhost")
        #expect(plain.port == 15672 && plain.username == "guest")
        #expect(throws: MonitorError.self) { try ManagementEndpoint(url: "amqp://localhost") }
        #expect(throws: MonitorError.self) { try ManagementEndpoint(url: "http://") }
    }
}
