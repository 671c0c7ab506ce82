import NIOPosix
import Testing
@testable import WarrenBroker
import WarrenWire

/// Routing across a vhost as rabbit_exchange:route/2 does it: exchange-to-exchange bindings
/// followed once per exchange (cycles are safe), each queue listed once however many paths reach
/// it, and an exchange's alternate exchange used when that exchange's own bindings match nothing.
@Suite struct VirtualHostRoutingTests {
    let vhost = VirtualHost(name: "/", eventLoop: MultiThreadedEventLoopGroup.singleton.next())

    func queue(_ name: String) throws {
        let settings = try QueueArguments([:], queue: name, vhost: vhost.name)
        vhost.addQueue(BrokerQueue(name: name, durable: false, autoDelete: false, exclusiveOwner: nil, arguments: [:],
                                   settings: settings, vhost: vhost))
    }

    func exchange(_ name: String, _ type: String, alternate: String? = nil) throws {
        let arguments: FieldTable = alternate.map { ["alternate-exchange": .string($0)] } ?? [:]
        try vhost.declareExchange(ExchangeDeclare(exchange: name, type: type, arguments: arguments))
    }

    func bind(_ source: String, to destination: BindingDestination, key: String = "", arguments: FieldTable = [:]) throws {
        try vhost.bind(Binding(source: source, destination: destination, routingKey: key, arguments: arguments))
    }

    func route(_ exchange: String, _ key: String = "", headers: FieldTable? = nil) throws -> [String] {
        vhost.route(try vhost.exchange(exchange), routingKey: key, headers: headers).map(\.name)
    }

    @Test func defaultExchangeRoutesByQueueName() throws {
        try queue("orders")
        #expect(try route("", "orders") == ["orders"])
        #expect(try route("", "missing").isEmpty)
    }

    @Test func exchangeToExchange() throws {
        try queue("q")
        try exchange("front", "direct")
        try exchange("back", "fanout")
        try bind("front", to: .exchange("back"), key: "k")
        try bind("back", to: .queue("q"))
        #expect(try route("front", "k") == ["q"])
        #expect(try route("front", "other").isEmpty)
    }

    @Test func exchangeChainCarriesHeaders() throws {
        try queue("q")
        try exchange("front", "topic")
        try exchange("middle", "fanout")
        try exchange("back", "headers")
        try bind("front", to: .exchange("middle"), key: "a.#")
        try bind("middle", to: .exchange("back"))
        try bind("back", to: .queue("q"), arguments: ["kind": "x"])
        #expect(try route("front", "a.b", headers: ["kind": "x"]) == ["q"])
        #expect(try route("front", "a.b", headers: ["kind": "y"]).isEmpty)
        #expect(try route("front", "b", headers: ["kind": "x"]).isEmpty)
    }

    @Test func cyclesAreSafe() throws {
        try queue("q1")
        try queue("q2")
        try exchange("a", "fanout")
        try exchange("b", "fanout")
        try exchange("c", "fanout")
        try bind("a", to: .exchange("b"))
        try bind("b", to: .exchange("c"))
        try bind("c", to: .exchange("a"))
        try bind("b", to: .queue("q1"))
        try bind("c", to: .queue("q2"))
        for start in ["a", "b", "c"] {
            #expect(Set(try route(start)) == ["q1", "q2"])
            #expect(try route(start).count == 2)
        }
    }

    @Test func selfBindingIsSafe() throws {
        try queue("q")
        try exchange("loop", "fanout")
        try bind("loop", to: .exchange("loop"))
        try bind("loop", to: .queue("q"))
        #expect(try route("loop") == ["q"])
    }

    /// A queue reached directly, by two bindings, and through another exchange gets one copy.
    @Test func queueReachedByManyPathsIsListedOnce() throws {
        try queue("q")
        try queue("other")
        try exchange("t", "topic")
        try exchange("f", "fanout")
        try bind("t", to: .queue("q"), key: "a.*")
        try bind("t", to: .queue("q"), key: "#")
        try bind("t", to: .exchange("f"), key: "a.b")
        try bind("f", to: .queue("q"))
        try bind("f", to: .queue("other"))
        let routed = try route("t", "a.b")
        #expect(routed.count == 2)
        #expect(Set(routed) == ["q", "other"])
    }

    @Test func alternateExchangeTakesUnroutedMessages() throws {
        try queue("q")
        try queue("unrouted")
        try exchange("ae", "fanout")
        try exchange("main", "direct", alternate: "ae")
        try bind("main", to: .queue("q"), key: "k")
        try bind("ae", to: .queue("unrouted"))
        #expect(try route("main", "k") == ["q"])
        #expect(try route("main", "nope") == ["unrouted"])
    }

    @Test func missingAlternateExchangeRoutesNowhere() throws {
        try exchange("main", "direct", alternate: "not-declared")
        #expect(try route("main", "k").isEmpty)
    }

    @Test func alternateExchangeCyclesAreSafe() throws {
        try queue("q")
        try exchange("a", "direct", alternate: "b")
        try exchange("b", "direct", alternate: "a")
        #expect(try route("a", "k").isEmpty)
        try bind("b", to: .queue("q"), key: "k")
        #expect(try route("a", "k") == ["q"])
    }

    /// RabbitMQ applies the alternate exchange of every exchange on the way whose own bindings
    /// matched nothing, not only the one the message was published to.
    @Test func alternateExchangeOfADownstreamExchange() throws {
        try queue("fallback")
        try exchange("ae", "fanout")
        try exchange("front", "fanout")
        try exchange("back", "direct", alternate: "ae")
        try bind("front", to: .exchange("back"))
        try bind("ae", to: .queue("fallback"))
        #expect(try route("front", "no-binding-in-back") == ["fallback"])
    }

    /// An exchange whose bindings matched (here: another exchange) does not use its alternate,
    /// even if nothing downstream takes the message.
    @Test func alternateExchangeIsNotUsedWhenTheExchangeMatchedAnExchange() throws {
        try queue("fallback")
        try exchange("ae", "fanout")
        try exchange("front", "direct", alternate: "ae")
        try exchange("back", "direct")
        try bind("front", to: .exchange("back"), key: "k")
        try bind("ae", to: .queue("fallback"))
        #expect(try route("front", "k").isEmpty)
        #expect(try route("front", "other") == ["fallback"])
    }

    @Test func deletedQueueIsNoLongerRouted() throws {
        try queue("q")
        try queue("keep")
        try exchange("f", "fanout")
        try bind("f", to: .queue("q"))
        try bind("f", to: .queue("keep"))
        vhost.deleteQueue(try vhost.queue("q"))
        #expect(try route("f") == ["keep"])
        #expect(try vhost.exchange("f").bindings.count == 1)
    }
}
