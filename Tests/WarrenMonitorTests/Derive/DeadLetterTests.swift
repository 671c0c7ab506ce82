import Testing
@testable import WarrenMonitor

@Suite("DLQ derivation")
struct DeadLetterTests {
    @Test func fromFixtures() throws {
        let snapshot = Snapshot(state: try Fixture.state(), source: "fixtures")
        let topology = snapshot.deadLetters
        // x-dead-letter-exchange "" + routing key: the queue named by the key.
        #expect(topology.routes.contains {
            $0.source.name == "conf346570.main2" && $0.target.name == "conf346570.dlq2" && $0.certain
        })
        #expect(topology.routes.contains { $0.source.name == "conf346570.ttl" && $0.target.name == "conf346570.dlq3" })
        #expect(topology.routes.contains { $0.source.name == "conf346570.maxlen" && $0.target.name == "conf346570.dlq4" })
        // Through the demo.dlx exchange and its bindings.
        let demo = try #require(topology.queue(QueueID(name: "demo.dlq")))
        #expect(demo.sources == [QueueID(name: "demo.orders")])
        #expect(demo.evidence == [.deadLetterExchange, .name])
        #expect(demo.depth == 5)
        // Name heuristic only.
        #expect(topology.queue(QueueID(name: "conf346570.retry"))?.evidence == [.name])
        #expect(topology.queue(QueueID(name: "demo.orders")) == nil)
    }

    @Test func routesThroughExchangesAndPolicies() {
        let queues = [
            QueueInfo(id: QueueID(name: "orders"), arguments: ["x-dead-letter-exchange": "dlx",
                                                               "x-dead-letter-routing-key": "orders.failed"]),
            QueueInfo(id: QueueID(name: "billing"), effectivePolicy: ["dead-letter-exchange": "dlx"]),
            QueueInfo(id: QueueID(name: "failed-orders"), messages: 4),
            QueueInfo(id: QueueID(name: "all-failures"), messages: 9),
            QueueInfo(id: QueueID(name: "audit")),
        ]
        let exchanges = [ExchangeInfo(name: "dlx", type: "topic"), ExchangeInfo(name: "audit-fan", type: "fanout")]
        let bindings = [
            BindingInfo(source: "dlx", destination: "failed-orders", routingKey: "orders.*"),
            BindingInfo(source: "dlx", destination: "all-failures", routingKey: "#"),
            BindingInfo(source: "dlx", destination: "audit-fan", destinationType: "exchange", routingKey: "billing.#"),
            BindingInfo(source: "audit-fan", destination: "audit", routingKey: ""),
        ]
        let topology = DeadLetterTopology.derive(queues: queues, exchanges: exchanges, bindings: bindings, rates: [:])
        let fromOrders = topology.routes.filter { $0.source.name == "orders" }
        #expect(Set(fromOrders.map { $0.target.name }) == ["failed-orders", "all-failures"])
        #expect(fromOrders.allSatisfy { $0.certain })
        // No dead-letter key: the messages' own keys decide, so every binding may match.
        let fromBilling = topology.routes.filter { $0.source.name == "billing" }
        #expect(Set(fromBilling.map { $0.target.name }) == ["failed-orders", "all-failures", "audit"])
        #expect(fromBilling.allSatisfy { $0.fromPolicy && !$0.certain })
        #expect(topology.queue(QueueID(name: "all-failures"))?.sources.count == 2)
    }

    @Test func nameHeuristics() {
        for name in ["orders.dlq", "orders-dlx", "orders.dead", "orders.retry", "orders.retry.3", "billing.parking",
                     "billing.parking-lot", "orders_dlq", "orders.dead-letter"] {
            #expect(DeadLetterTopology.looksLikeDeadLetterQueue(name), "\(name)")
        }
        for name in ["dlq", "orders", "dlq.handler", "retry", "deadline.events", "orders.retrying"] {
            #expect(!DeadLetterTopology.looksLikeDeadLetterQueue(name), "\(name)")
        }
    }

    @Test func topicMatching() {
        #expect(DeadLetterTopology.topicMatches(pattern: "a.*.c", key: "a.b.c"))
        #expect(!DeadLetterTopology.topicMatches(pattern: "a.*.c", key: "a.c"))
        #expect(DeadLetterTopology.topicMatches(pattern: "a.#", key: "a"))
        #expect(DeadLetterTopology.topicMatches(pattern: "#.c", key: "a.b.c"))
        #expect(DeadLetterTopology.topicMatches(pattern: "#", key: ""))
        #expect(!DeadLetterTopology.topicMatches(pattern: "a.b", key: "a.b.c"))
    }
}
