import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

/// Fix and resend on RabbitMQ: a dead letter is fetched whole (its queue untouched), edited,
/// published to its origin, and only then acked; an unroutable edit leaves the original in place.
@Suite("Fix and resend on RabbitMQ 3.10.8", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct ResendLiveTests {
    @Test func theEditedCopyGoesOutBeforeTheOriginalLeaves() async throws {
        let base = Live.unique("resend")
        let (origin, dlq) = (base + ".orders", base + ".dlq")
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(dlq)
            _ = try await channel.queueDeclare(origin, arguments: ["x-dead-letter-exchange": "",
                                                                   "x-dead-letter-routing-key": .string(dlq)])
            try await channel.confirmSelect()
            for n in 0..<5 {
                try await channel.publish(ByteBuffer(string: #"{"n":\#(n),"state":"broken"}"#), routingKey: origin,
                                          properties: BasicProperties(headers: ["n": .int32(Int32(n))], messageID: "m-\(n)"))
            }
            try await channel.waitForConfirms()
            while let got = try await channel.get(origin) {
                try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            }
        }
        _ = try await Live.eventually("5 dead letters") { try await Live.depth(dlq) == 5 ? true : nil }
        let digest = Resend.digest(Array(#"{"n":2,"state":"broken"}"#.utf8))

        var message = try await Resend.fetch(amqpURL: Live.amqpURL!, queue: dlq, digest: digest, messageID: "m-2", within: 10)
        #expect(message.exchange == "" && message.routingKey == origin, "a dead letter goes back to its origin")
        #expect(message.properties.headers?["n"] == .int32(2))
        #expect(try await Live.depth(dlq) == 5, "fetching leaves the queue as it was")
        let document = try Resend.document(for: message)
        #expect(try ExportedMessage.parse(line: document, number: 1) == message, "the editor's document reads back")

        // Unroutable: refused, and the original stays.
        var lost = message
        lost.routingKey = base + ".nowhere"
        await #expect(throws: MonitorError.self) {
            _ = try await Resend.run(amqpURL: Live.amqpURL!, queue: dlq, digest: digest, messageID: "m-2", within: 10,
                                     edited: lost)
        }
        #expect(try await Live.depth(dlq) == 5)

        message.body = Array(#"{"n":2,"state":"fixed"}"#.utf8)
        let report = try await Resend.run(amqpURL: Live.amqpURL!, queue: dlq, digest: digest, messageID: "m-2",
                                          within: 10, edited: message)
        #expect(report.originalAcked && report.routingKey == origin)
        #expect(try await Live.drain(origin).map(\.bodyString) == [#"{"n":2,"state":"fixed"}"#])
        let left = try await Live.drain(dlq).compactMap(\.properties.messageID)
        #expect(left == ["m-0", "m-1", "m-3", "m-4"], "the others stay, in order")

        await #expect(throws: MonitorError.self) {
            _ = try await Resend.fetch(amqpURL: Live.amqpURL!, queue: dlq, digest: digest, messageID: "m-2", within: 10)
        }
        try await Live.withChannel { channel in
            _ = try await channel.queueDelete(origin)
            _ = try await channel.queueDelete(dlq)
        }
    }
}
