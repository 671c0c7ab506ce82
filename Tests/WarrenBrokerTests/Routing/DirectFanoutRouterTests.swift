import Testing
@testable import WarrenBroker
import WarrenWire

@Suite struct DirectFanoutRouterTests {
    static func binding(_ key: String, _ destination: BindingDestination, _ arguments: FieldTable = [:]) -> Binding {
        Binding(source: "x", destination: destination, routingKey: key, arguments: arguments)
    }

    static func route(_ router: some Router, _ key: String) -> [BindingDestination] {
        var destinations: [BindingDestination] = []
        router.route(routingKey: key, headers: nil, into: &destinations)
        return destinations
    }

    @Test func directMatchesTheWholeKeyExactly() {
        let router = DirectRouter()
        router.add(Self.binding("orders", .queue("q1")))
        router.add(Self.binding("orders", .queue("q2")))
        router.add(Self.binding("orders.eu", .queue("q3")))
        router.add(Self.binding("", .queue("empty")))
        router.add(Self.binding("orders", .exchange("audit")))
        #expect(Set(Self.route(router, "orders")) == [.queue("q1"), .queue("q2"), .exchange("audit")])
        #expect(Self.route(router, "orders.eu") == [.queue("q3")])
        #expect(Self.route(router, "") == [.queue("empty")])
        #expect(Self.route(router, "Orders").isEmpty)
        #expect(Self.route(router, "orders.*").isEmpty)
        #expect(Self.route(router, "#").isEmpty)
    }

    @Test func directRemove() {
        let router = DirectRouter()
        router.add(Self.binding("k", .queue("q1")))
        router.add(Self.binding("k", .queue("q2")))
        router.add(Self.binding("other", .queue("q1")))
        router.remove(Self.binding("k", .queue("q1")))
        #expect(Self.route(router, "k") == [.queue("q2")])
        #expect(Self.route(router, "other") == [.queue("q1")])
        router.remove(Self.binding("k", .queue("q2")))
        #expect(Self.route(router, "k").isEmpty)
        // Removing what is not there is harmless.
        router.remove(Self.binding("k", .queue("q2")))
        router.remove(Self.binding("missing", .queue("q1")))
        #expect(Self.route(router, "other") == [.queue("q1")])
    }

    /// Two bindings that differ only in their arguments are two bindings: one removal leaves one.
    @Test func directSameKeyAndQueueWithDifferentArguments() {
        let router = DirectRouter()
        router.add(Self.binding("k", .queue("q"), ["v": 1]))
        router.add(Self.binding("k", .queue("q"), ["v": 2]))
        router.remove(Self.binding("k", .queue("q"), ["v": 1]))
        #expect(Self.route(router, "k") == [.queue("q")])
        router.remove(Self.binding("k", .queue("q"), ["v": 2]))
        #expect(Self.route(router, "k").isEmpty)
    }

    @Test func fanoutIgnoresTheKey() {
        let router = FanoutRouter()
        router.add(Self.binding("a", .queue("q1")))
        router.add(Self.binding("b", .queue("q2")))
        router.add(Self.binding("", .exchange("next")))
        for key in ["", "a", "anything.at.all"] {
            #expect(Set(Self.route(router, key)) == [.queue("q1"), .queue("q2"), .exchange("next")])
        }
    }

    @Test func fanoutRemove() {
        let router = FanoutRouter()
        router.add(Self.binding("a", .queue("q1")))
        router.add(Self.binding("b", .queue("q1")))
        router.add(Self.binding("", .queue("q2")))
        router.remove(Self.binding("a", .queue("q1")))
        // q1 still has its "b" binding.
        #expect(Set(Self.route(router, "x")) == [.queue("q1"), .queue("q2")])
        router.remove(Self.binding("b", .queue("q1")))
        #expect(Self.route(router, "x") == [.queue("q2")])
        router.remove(Self.binding("", .queue("q2")))
        #expect(Self.route(router, "x").isEmpty)
    }

    /// Exchange keeps bindings unique and feeds its router; unbind removes exactly one.
    @Test func exchangeBindIsIdempotent() {
        let exchange = Exchange(name: "x", type: .direct, durable: false, autoDelete: false, isInternal: false,
                                arguments: [:])
        #expect(exchange.bind(Self.binding("k", .queue("q"))))
        #expect(!exchange.bind(Self.binding("k", .queue("q"))))
        #expect(exchange.bindings.count == 1)
        var destinations: [BindingDestination] = []
        exchange.route(routingKey: "k", headers: nil, into: &destinations)
        #expect(destinations == [.queue("q")])
        #expect(exchange.unbind(Self.binding("k", .queue("q"))))
        #expect(!exchange.unbind(Self.binding("k", .queue("q"))))
        destinations = []
        exchange.route(routingKey: "k", headers: nil, into: &destinations)
        #expect(destinations.isEmpty)
    }

    @Test func exchangeUnbindAllToADestination() {
        let exchange = Exchange(name: "x", type: .topic, durable: false, autoDelete: false, isInternal: false,
                                arguments: [:])
        exchange.bind(Self.binding("a.*", .queue("q")))
        exchange.bind(Self.binding("#", .queue("q")))
        exchange.bind(Self.binding("#", .queue("keep")))
        exchange.unbindAll(to: .queue("q"))
        #expect(exchange.bindings.map(\.destination) == [.queue("keep")])
        var destinations: [BindingDestination] = []
        exchange.route(routingKey: "a.b", headers: nil, into: &destinations)
        #expect(destinations == [.queue("keep")])
    }
}
