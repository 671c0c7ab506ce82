import Foundation
import Synchronization
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

@Suite("Replay against RabbitMQ 3.10.8", .serialized, .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct ReplayTests {
    /// 1,000 dead letters from three queues fed through different exchanges and keys, for the
    /// reasons rejected, expired and maxlen; replay puts each back into its own origin intact.
    @Test func replaysEveryMessageToItsOrigin() async throws {
        let base = Live.unique("replay")
        let (dlx, dlq) = (base + ".dlx", base + ".dlq")
        let (rejected, expired, maxlen) = (base + ".rejected", base + ".expired", base + ".maxlen")
        let (shop, events) = (base + ".shop", base + ".events")
        let deadLetter: FieldTable = ["x-dead-letter-exchange": .string(dlx)]
        try await Live.withChannel { channel in
            try await channel.exchangeDeclare(dlx, type: "fanout")
            try await channel.exchangeDeclare(shop, type: "direct")
            try await channel.exchangeDeclare(events, type: "topic")
            _ = try await channel.queueDeclare(dlq)
            try await channel.queueBind(dlq, exchange: dlx)
            for queue in [rejected, expired, maxlen] { _ = try await channel.queueDeclare(queue, arguments: deadLetter) }
            try await channel.queueBind(rejected, exchange: shop, routingKey: "order.created")
            try await channel.queueBind(expired, exchange: events, routingKey: "billing.#")
        }
        // A policy rather than an argument, so it can be lifted before the replay sends them back.
        try await Live.ctl("set_policy", "--apply-to", "queues", base + "-maxlen", "^\(maxlen)$", #"{"max-length":10}"#)
        _ = try await Live.eventually("the max-length policy to apply") { () -> Bool? in
            try await Live.management().queueDetail(QueueID(name: maxlen)).effectivePolicy["max-length"] != nil ? true : nil
        }

        func properties(_ id: Int, _ source: String, expiration: String? = nil) -> BasicProperties {
            BasicProperties(contentType: "text/plain",
                            headers: ["test-id": .int64(Int64(id)), "source": .string(source), "note": "keep me"],
                            deliveryMode: 2, expiration: expiration, messageID: "m-\(id)")
        }
        try await Live.withChannel { channel in
            try await channel.confirmSelect()
            for id in 0..<400 {
                try await channel.publish(ByteBuffer(string: "body \(id)"), exchange: shop, routingKey: "order.created",
                                          properties: properties(id, rejected))
            }
            // Per-message TTL: RabbitMQ drops the expiration when it dead-letters, so replayed
            // messages stay put.
            for id in 400..<700 {
                try await channel.publish(ByteBuffer(string: "body \(id)"), exchange: events,
                                          routingKey: "billing.invoice.paid", properties: properties(id, expired, expiration: "1"))
            }
            // 310 into a queue of at most 10: the oldest 300 are dead-lettered (maxlen).
            for id in 700..<1010 {
                try await channel.publish(ByteBuffer(string: "body \(id)"), routingKey: maxlen, properties: properties(id, maxlen))
            }
            try await channel.waitForConfirms()
            while let got = try await channel.get(rejected) {
                try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            }
        }
        _ = try await Live.eventually("1,000 dead letters") { try await Live.depth(dlq) == 1000 ? true : nil }
        try await Live.ctl("clear_policy", base + "-maxlen")
        _ = try await Live.eventually("the policy to lift") { () -> Bool? in
            try await Live.management().queueDetail(QueueID(name: maxlen)).effectivePolicy.isEmpty ? true : nil
        }

        // The dry run shows the plan and moves nothing.
        let plan = try await Replay.run(amqpURL: Live.amqpURL!, queue: dlq, options: ReplayOptions(dryRun: true))
        #expect(plan.progress.perTarget == ["queue \(rejected)": 400, "queue \(expired)": 300, "queue \(maxlen)": 300])
        #expect(try await Live.depth(dlq) == 1000)

        let stream = Replay.events(amqpURL: Live.amqpURL!, queue: dlq, options: ReplayOptions(window: 64))
        // Progress comes on a 200 ms clock, so a fast replay may report none before it ends;
        // what does come must only grow.
        var movedSoFar: [Int] = []
        var report: ReplayReport?
        for try await event in stream {
            switch event {
            case .progress(let progress): movedSoFar.append(progress.moved)
            case .finished(let final): report = final
            }
        }
        let final = try #require(report)
        #expect(final.progress.moved == 1000)
        #expect(final.progress.returned == 0 && final.progress.failed == 0 && final.progress.skipped == 0)
        #expect(movedSoFar == movedSoFar.sorted() && movedSoFar.allSatisfy { $0 <= 1000 })
        #expect(try await Live.depth(dlq) == 0)

        var seen: Set<Int> = []
        for (queue, expected) in [(rejected, 0..<400), (expired, 400..<700), (maxlen, 700..<1000)] {
            let messages = try await Live.drain(queue)
            var ids: [Int] = []
            for message in messages {
                let id = Int(message.header["test-id"] ?? "") ?? -1
                ids.append(id)
                #expect(message.header["source"] == queue)
                #expect(message.header["note"] == "keep me")
                #expect(message.properties.messageID == "m-\(id)")
                #expect(message.properties.deliveryMode == 2 && message.properties.contentType == "text/plain")
                #expect(message.bodyString == "body \(id)")
                if id < 1000 || queue != maxlen {
                    let history = DeadLetterHistory(headers: message.properties.headers)
                    #expect(history.origin?.queue == queue)
                    #expect(message.properties.headers?[ReplayPlanner.stampHeader] != nil)
                }
            }
            let replayed = ids.filter { expected.contains($0) }
            #expect(Set(replayed) == Set(expected), "\(queue)")
            #expect(replayed.count == expected.count, "no duplicates in \(queue)")
            seen.formUnion(replayed)
        }
        #expect(seen.count == 1000)
        try await Live.withChannel { channel in
            for queue in [dlq, rejected, expired, maxlen] { _ = try await channel.queueDelete(queue) }
            for exchange in [dlx, shop, events] { try await channel.exchangeDelete(exchange) }
        }
    }

    /// The replay's connection is killed mid-way; a rerun finishes the job. Nothing is lost;
    /// duplicates (confirmed but not yet acked when the connection died) are counted.
    @Test func connectionKilledMidReplayLosesNothing() async throws {
        let base = Live.unique("fault")
        let (dlx, dlq, origin) = (base + ".dlx", base + ".dlq", base + ".origin")
        let total = 1000
        try await Live.withChannel { channel in
            try await channel.exchangeDeclare(dlx, type: "fanout")
            _ = try await channel.queueDeclare(dlq, durable: true)
            try await channel.queueBind(dlq, exchange: dlx)
            _ = try await channel.queueDeclare(origin, durable: true, arguments: ["x-dead-letter-exchange": .string(dlx)])
            try await channel.confirmSelect()
            for id in 0..<total {
                try await channel.publish(ByteBuffer(string: "body \(id)"), routingKey: origin,
                                          properties: BasicProperties(headers: ["test-id": .int64(Int64(id))], deliveryMode: 2))
            }
            try await channel.waitForConfirms()
            while let got = try await channel.get(origin) {
                try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            }
        }
        _ = try await Live.eventually("dead letters") { try await Live.depth(dlq) == total ? true : nil }

        let connectionName = base + ".replayer"
        let url = Live.amqpURL! + "?connection_name=\(connectionName)"
        let moved = SharedCount()
        let replay = Task {
            // Slow enough (about 17 s) to still be running when RabbitMQ's management API, which
            // lists a connection only after its first 5 s statistics interval, shows it.
            try await Replay.run(amqpURL: url, queue: dlq, options: ReplayOptions(ratePerSecond: 60, window: 16)) {
                moved.set($0.moved)
            }
        }
        _ = try await Live.eventually("the replay to be under way") { moved.value >= 60 ? true : nil }
        // Kill the replay's connection from the broker side, as an operator or a node restart would.
        let management = try Live.management()
        let victim = try await Live.eventually("the replay's connection in the API") { () -> String? in
            try await management.fetch().connections.first { $0.clientName == connectionName }?.name
        }
        try await management.closeConnection(named: victim)
        let firstRun = await replay.result
        guard case .failure = firstRun else { Issue.record("the replay should have failed when its connection closed"); return }
        let movedBeforeFault = moved.value
        #expect(movedBeforeFault < total)

        let rerun = try await Replay.run(amqpURL: Live.amqpURL!, queue: dlq, options: ReplayOptions())
        #expect(rerun.complete)
        #expect(try await Live.depth(dlq) == 0)
        let ids = try await Live.drain(origin).map { Int($0.header["test-id"] ?? "") ?? -1 }
        let unique = Set(ids)
        #expect(unique == Set(0..<total), "every message is back in its origin")
        let duplicates = ids.count - unique.count
        print("fault test: \(movedBeforeFault) moved before the connection was killed, \(rerun.progress.moved) by the rerun, "
            + "\(duplicates) duplicate(s)")
        #expect(duplicates <= 16, "at most one confirm window can be duplicated")
        try await Live.withChannel { channel in
            _ = try await channel.queueDelete(dlq)
            _ = try await channel.queueDelete(origin)
            try await channel.exchangeDelete(dlx)
        }
    }
}

/// A number shared between a replay's progress callback and the test.
final class SharedCount: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func set(_ value: Int) { storage.withLock { $0 = value } }
}
