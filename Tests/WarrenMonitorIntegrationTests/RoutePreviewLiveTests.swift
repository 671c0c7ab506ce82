import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

/// The publish preview against what RabbitMQ really does: a topology of every exchange type,
/// exchange-to-exchange bindings and an alternate exchange; each case is both previewed from the
/// management API's bindings and published, and the queues it landed in must be the preview's.
@Suite("Route preview against RabbitMQ 3.10.8", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct RoutePreviewLiveTests {
    @Test func previewAgreesWithWhereRabbitMQRoutes() async throws {
        let base = Live.unique("route")
        let (direct, fanout, topic, headers, spill) = (base + ".direct", base + ".fanout", base + ".topic",
                                                        base + ".headers", base + ".spill")
        let queues = ["orders", "audit", "eu", "all-eu", "pdf-all", "pdf-any", "pdf-x", "unrouted", "plain"]
            .map { base + "." + $0 }
        let q = Dictionary(uniqueKeysWithValues: zip(["orders", "audit", "eu", "all-eu", "pdf-all", "pdf-any", "pdf-x",
                                                      "unrouted", "plain"], queues))
        try await Live.withChannel { channel in
            try await channel.exchangeDeclare(spill, type: "fanout")
            try await channel.exchangeDeclare(direct, type: "direct", arguments: ["alternate-exchange": .string(spill)])
            try await channel.exchangeDeclare(fanout, type: "fanout")
            try await channel.exchangeDeclare(topic, type: "topic")
            try await channel.exchangeDeclare(headers, type: "headers")
            for queue in queues { _ = try await channel.queueDeclare(queue) }
            try await channel.queueBind(q["orders"]!, exchange: direct, routingKey: "order")
            try await channel.exchangeBind(destination: fanout, source: direct, routingKey: "order")
            try await channel.queueBind(q["audit"]!, exchange: fanout)
            try await channel.exchangeBind(destination: topic, source: fanout)
            try await channel.queueBind(q["eu"]!, exchange: topic, routingKey: "*.eu")
            try await channel.queueBind(q["all-eu"]!, exchange: topic, routingKey: "#.eu.#")
            try await channel.queueBind(q["unrouted"]!, exchange: spill)
            try await channel.queueBind(q["pdf-all"]!, exchange: headers,
                                        arguments: ["x-match": "all", "format": "pdf", "size": .int64(3)])
            try await channel.queueBind(q["pdf-any"]!, exchange: headers,
                                        arguments: ["x-match": "any", "format": "pdf", "lang": "fr"])
            try await channel.queueBind(q["pdf-x"]!, exchange: headers,
                                        arguments: ["x-match": "all-with-x", "x-tenant": "eu"])
        }
        let cases: [(exchange: String, key: String, headers: FieldTable?)] = [
            (direct, "order", nil),  // orders, and through fanout to audit and on to topic (key "order": no match)
            (direct, "nothing", nil),  // no binding: the alternate exchange
            (fanout, "x.eu", nil),  // audit, eu, all-eu
            (fanout, "a.b.eu.c", nil),  // audit, all-eu
            (topic, "eu", nil),  // all-eu ("#.eu.#" takes zero words either side)
            (headers, "", ["format": "pdf", "size": .int32(3)]),  // pdf-all (numbers of any width), pdf-any
            (headers, "", ["format": "pdf"]),  // pdf-any
            (headers, "", ["lang": "fr", "x-tenant": "eu"]),  // pdf-any, pdf-x
            ("", q["plain"]!, nil),  // the default exchange
            ("", base + ".missing", nil),  // unroutable
        ]
        let topology = try await Live.management().routingTopology(vhost: "/")
        var expected: [String: Set<Int>] = [:]
        for (index, item) in cases.enumerated() {
            let preview = RoutePreview.of(exchange: item.exchange, routingKey: item.key, headers: item.headers,
                                          exchanges: topology.exchanges, bindings: topology.bindings,
                                          queues: topology.queues)
            for queue in preview.queues { expected[queue.name, default: []].insert(index) }
        }
        // Some cases are worth nothing if the preview is trivially empty: pin a few down.
        #expect(expected[q["unrouted"]!] == [1])
        #expect(expected[q["pdf-all"]!] == [5])
        #expect(expected[q["plain"]!] == [8])

        try await Live.withChannel { channel in
            try await channel.confirmSelect()
            for (index, item) in cases.enumerated() {
                var table = item.headers ?? FieldTable()
                table["case"] = .int64(Int64(index))
                try await channel.publish(ByteBuffer(string: "case \(index)"), exchange: item.exchange,
                                          routingKey: item.key, properties: BasicProperties(headers: table))
            }
            try await channel.waitForConfirms()
        }
        var actual: [String: Set<Int>] = [:]
        for queue in queues {
            for message in try await Live.drain(queue) {
                if let index = message.properties.headers?["case"]?.int64Value { actual[queue, default: []].insert(Int(index)) }
            }
        }
        #expect(actual == expected)

        try await Live.withChannel { channel in
            for queue in queues { _ = try await channel.queueDelete(queue) }
            for exchange in [direct, fanout, topic, headers, spill] { try await channel.exchangeDelete(exchange) }
        }
    }
}
