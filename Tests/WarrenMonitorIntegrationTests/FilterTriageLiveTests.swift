import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

/// Triage and the filter language on real dead letters: grouped by the error header a consumer
/// set before rejecting, one group replayed with a JSON body condition, the rest exported by text.
@Suite("Triage and filters on RabbitMQ 3.10.8", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct FilterTriageLiveTests {
    @Test func groupsByCauseThenReplaysAndExportsByFilter() async throws {
        let base = Live.unique("triage")
        let (origin, dlq) = (base + ".orders", base + ".dlq")
        let errors = ["Connection timed out", "bad input: sku"]
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(dlq)
            _ = try await channel.queueDeclare(origin, arguments: ["x-dead-letter-exchange": "",
                                                                   "x-dead-letter-routing-key": .string(dlq)])
            try await channel.confirmSelect()
            for n in 0..<30 {
                let body = #"{"n":\#(n),"customer":{"country":"\#(n % 3 == 0 ? "DE" : "FR")"}}"#
                try await channel.publish(ByteBuffer(string: body), routingKey: origin,
                                          properties: BasicProperties(contentType: "application/json",
                                                                      headers: ["x-exception-message": .string(errors[n % 2])]))
            }
            try await channel.waitForConfirms()
            while let got = try await channel.get(origin) {
                try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            }
        }
        _ = try await Live.eventually("30 dead letters") { try await Live.depth(dlq) == 30 ? true : nil }

        let info = try await Live.management().queueDetail(QueueID(name: dlq))
        let peeked = try await Peek.run(amqpURL: Live.amqpURL!, queue: dlq, count: 30, queueInfo: info)
        let groups = Triage.group(peeked.messages.map { MessageFacts($0, body: false) })
        #expect(groups.map(\.count) == [15, 15])
        #expect(Set(groups.compactMap(\.error)) == Set(errors))
        #expect(groups.allSatisfy { $0.source == origin && $0.reason == "rejected" && $0.errorHeader == "x-exception-message" })
        #expect(groups.allSatisfy { $0.firstDeath != nil && $0.lastDeath != nil })
        let timeouts = try #require(groups.first { $0.error == errors[0] })
        #expect(timeouts.expression == "queue=\(origin) reason=rejected header.x-exception-message=\"Connection timed out\"")

        // The group's own expression, read back, plus a JSON field: the even n divisible by 3.
        let filters = try ReplayFilter.parseAll(timeouts.expression + " body.customer.country=DE").get()
        let report = try await Replay.run(amqpURL: Live.amqpURL!, queue: dlq, options: ReplayOptions(filters: filters))
        #expect(report.progress.moved == 5 && report.progress.skipped == 25)
        let replayed = try await Live.drain(origin).map(\.bodyString)
        #expect(replayed.map { $0.contains(#""country":"DE""#) } == Array(repeating: true, count: 5))
        #expect(replayed.compactMap { Int($0.split(separator: ",")[0].dropFirst(5)) } == [0, 6, 12, 18, 24])

        // What is left, taken into a file by filter: the FR ones (20 of the 25); the DE ones stay.
        let file = NSTemporaryDirectory() + base + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let exported = try await Export.run(
            amqpURL: Live.amqpURL!, queue: dlq, to: file,
            options: ExportOptions(consume: true, filters: try ReplayFilter.parseAll("!body.customer.country=DE body~CUSTOMER").get()),
            queueInfo: nil)
        #expect(exported.exported == 20)
        #expect(try await Live.depth(dlq) == 5)
        try await Live.withChannel { channel in
            _ = try await channel.queueDelete(origin)
            _ = try await channel.queueDelete(dlq)
        }
    }
}
