import Testing
import WarrenWire
@testable import WarrenMonitor

@Suite("Route preview")
struct RoutePreviewTests {
    static let exchanges = [
        ExchangeInfo(name: "a", type: "fanout"), ExchangeInfo(name: "b", type: "fanout"),
        ExchangeInfo(name: "h", type: "headers"), ExchangeInfo(name: "d", type: "direct"),
    ]

    static func route(_ exchange: String, _ key: String = "", headers: FieldTable? = nil,
                      bindings: [BindingInfo], exchanges: [ExchangeInfo] = exchanges) -> RoutePreview {
        RoutePreview.of(exchange: exchange, routingKey: key, headers: headers, exchanges: exchanges, bindings: bindings,
                        queues: [QueueInfo(id: QueueID(name: "q1")), QueueInfo(id: QueueID(name: "q2"))])
    }

    @Test func aLoopOfExchangesEndsAndEachQueueCountsOnce() {
        let bindings = [
            BindingInfo(source: "a", destination: "b", destinationType: "exchange", routingKey: ""),
            BindingInfo(source: "b", destination: "a", destinationType: "exchange", routingKey: ""),
            BindingInfo(source: "a", destination: "q1", routingKey: ""),
            BindingInfo(source: "b", destination: "q1", routingKey: ""),
        ]
        let preview = Self.route("a", bindings: bindings)
        #expect(preview.queues == [QueueID(name: "q1")])
        #expect(preview.exchanges == ["a", "b"])
    }

    @Test func headersMatchLikeRabbitMQ() {
        func matches(_ arguments: [String: JSON], _ headers: FieldTable) -> Bool {
            RoutePreview.headersMatch(arguments, headers.entries.map { ($0.0, $0.1.json) })
        }
        #expect(matches(["format": "pdf", "size": .number(3)], ["format": "pdf", "size": .int8(3)]))
        #expect(!matches(["format": "pdf", "size": .number(3)], ["format": "pdf"]))
        #expect(matches(["x-match": "any", "format": "pdf", "lang": "fr"], ["lang": "fr"]))
        #expect(!matches(["x-match": "any", "format": "pdf"], ["format": "zip"]))
        // x- arguments take part only in the -with-x modes.
        #expect(matches(["x-tenant": "eu"], [:]))
        #expect(!matches(["x-match": "all-with-x", "x-tenant": "eu"], [:]))
        #expect(matches(["x-match": "any-with-x", "x-tenant": "eu"], ["x-tenant": "eu"]))
        #expect(!matches(["x-match": "any"], ["anything": "at all"]), "any with nothing to match matches nothing")
    }

    @Test func theAlternateExchangeTakesWhatNoBindingMatched() {
        var exchanges = Self.exchanges
        exchanges[3].arguments = ["alternate-exchange": "a"]
        let bindings = [BindingInfo(source: "d", destination: "q2", routingKey: "k"),
                        BindingInfo(source: "a", destination: "q1", routingKey: "")]
        #expect(Self.route("d", "k", bindings: bindings, exchanges: exchanges).queues == [QueueID(name: "q2")])
        let spilled = Self.route("d", "other", bindings: bindings, exchanges: exchanges)
        #expect(spilled.queues == [QueueID(name: "q1")] && spilled.alternates == ["a"])
    }

    @Test func theDefaultExchangeAndUnknownOnes() {
        #expect(Self.route("", "q2", bindings: []).queues == [QueueID(name: "q2")])
        #expect(Self.route("", "nope", bindings: []).unroutable)
        let unknown = Self.route("gone", "q1", bindings: [])
        #expect(unknown.unroutable && unknown.notes.first?.contains("not in the listing") == true)
    }
}
