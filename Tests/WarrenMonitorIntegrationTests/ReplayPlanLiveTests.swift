import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

/// The replay plan's warnings, each built on real RabbitMQ queues: a full origin, a nearly full
/// one, one that expires messages with no consumer and dead-letters them straight back (a certain
/// loop), one that was deleted, and messages that died many times.
@Suite("Replay plan warnings on RabbitMQ 3.10.8", .serialized,
       .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct ReplayPlanLiveTests {
    struct Setup {
        var dlq: String
        var full: String
        var nearly: String
        var expiring: String
        var gone: String
        var poisoned: String
        var all: [String] { [dlq, full, nearly, expiring, gone, poisoned] }
    }

    /// Dead letters from each origin in `dlq`, then the origins put in the state the plan must see.
    static func build() async throws -> Setup {
        let base = Live.unique("plan")
        let setup = Setup(dlq: base + ".dlq", full: base + ".full", nearly: base + ".nearly",
                          expiring: base + ".expiring", gone: base + ".gone", poisoned: base + ".poisoned")
        let toDLQ: FieldTable = ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(setup.dlq)]
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(setup.dlq)
            var capped = toDLQ
            capped["x-max-length"] = .int32(10)
            var expiring = toDLQ
            expiring["x-message-ttl"] = .int32(60_000)
            _ = try await channel.queueDeclare(setup.full, arguments: capped)
            _ = try await channel.queueDeclare(setup.nearly, arguments: capped)
            _ = try await channel.queueDeclare(setup.expiring, arguments: expiring)
            for queue in [setup.gone, setup.poisoned] { _ = try await channel.queueDeclare(queue, arguments: toDLQ) }
            try await channel.confirmSelect()
            // Rejected into the DLQ: 4 from full, 1 from nearly, 3 from expiring, 2 from gone.
            for (queue, count) in [(setup.full, 4), (setup.nearly, 1), (setup.expiring, 3), (setup.gone, 2)] {
                for id in 0..<count {
                    try await channel.publish(ByteBuffer(string: "\(queue) \(id)"), routingKey: queue)
                }
            }
            try await channel.waitForConfirms()
            for queue in [setup.full, setup.nearly, setup.expiring, setup.gone] {
                while let got = try await channel.get(queue) {
                    try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                }
            }
            // Two messages that died four times, as x-death says.
            let death: FieldTable = ["queue": .string(setup.poisoned), "reason": "rejected", "count": .int64(4),
                                     "exchange": "", "routing-keys": .array([.string(setup.poisoned)])]
            let headers: FieldTable = ["x-death": .array([.table(death)]), "x-first-death-queue": .string(setup.poisoned),
                                       "x-first-death-reason": "rejected", "x-first-death-exchange": ""]
            for id in 0..<2 {
                try await channel.publish(ByteBuffer(string: "poison \(id)"), routingKey: setup.dlq,
                                          properties: BasicProperties(headers: headers))
            }
            // Then: full holds 10 of 10, nearly 8 of 10; gone is deleted.
            for id in 0..<10 { try await channel.publish(ByteBuffer(string: "fill \(id)"), routingKey: setup.full) }
            for id in 0..<8 { try await channel.publish(ByteBuffer(string: "fill \(id)"), routingKey: setup.nearly) }
            try await channel.waitForConfirms()
            _ = try await channel.queueDelete(setup.gone)
        }
        _ = try await Live.eventually("12 dead letters") { try await Live.depth(setup.dlq) == 12 ? true : nil }
        // The management API's message counts lag behind AMQP by its statistics interval.
        _ = try await Live.eventually("the management API to count the filled queues") { () -> Bool? in
            let management = try Live.management()
            let full = try await management.queueDetail(QueueID(name: setup.full)).messages
            let nearly = try await management.queueDetail(QueueID(name: setup.nearly)).messages
            return full == 10 && nearly == 8 ? true : nil
        }
        return setup
    }

    static func tearDown(_ setup: Setup) async throws {
        try await Live.withChannel { channel in
            for queue in setup.all where queue != setup.gone { _ = try await channel.queueDelete(queue) }
        }
    }

    @Test func eachCaseIsWarnedWithItsCount() async throws {
        let setup = try await Self.build()
        let plan = try await Replay.run(amqpURL: Live.amqpURL!, queue: setup.dlq, options: ReplayOptions(dryRun: true))
        #expect(!plan.sampled && plan.queueLength == 12)
        let warnings = try await ReplayPlanCheck.warnings(for: plan, dlq: QueueID(name: setup.dlq),
                                                          management: try Live.management())
        func find(_ kind: ReplayWarning.Kind, _ queue: String?) -> ReplayWarning? {
            warnings.first { $0.kind == kind && $0.queue == queue }
        }
        let full = try #require(find(.full, setup.full), "\(warnings)")
        #expect(full.messages == 4 && full.certain && full.text.contains("holds 10 of at most 10"))
        #expect(find(.nearlyFull, setup.nearly)?.text.contains("9 of at most 10") == true, "\(warnings)")
        #expect(find(.expires, setup.expiring)?.messages == 3, "\(warnings)")
        let loop = try #require(find(.loop, setup.expiring), "\(warnings)")
        #expect(loop.certain && loop.messages == 3)
        // The full queue pushes out its oldest, which dead-letter into the DLQ too: a loop, of 4.
        #expect(find(.loop, setup.full)?.messages == 4, "\(warnings)")
        #expect(find(.targetMissing, setup.gone)?.messages == 2, "\(warnings)")
        #expect(find(.poison, nil)?.messages == 2, "\(warnings)")
        #expect(find(.loop, setup.nearly) == nil && find(.expires, setup.full) == nil)

        // A sample says so and scales its counts.
        let sampled = try await Replay.run(amqpURL: Live.amqpURL!, queue: setup.dlq,
                                           options: { var o = ReplayOptions(dryRun: true); o.sample = 6; return o }())
        #expect(sampled.sampled && sampled.progress.seen == 6 && sampled.queueLength == 12)
        try await Self.tearDown(setup)
    }

    @Test func theCLIRefusesACertainLoopAndMaxDeathsKeepsPoison() async throws {
        let setup = try await Self.build()
        let broker = ["--amqp", Live.amqpURL!, "--management", Live.managementURL!]
        let clear = ["WARREN_AMQP_URL", "WARREN_MANAGEMENT_URL"]
        let dry = try await Live.run(Live.warrenBinary, ["replay", setup.dlq, "--dry-run"] + broker, clearing: clear)
        #expect(dry.status == 0 && dry.stdout.contains("plan: loop: queue '\(setup.expiring)'"), "\(dry)")
        #expect(dry.stdout.contains("plan: queue '\(setup.gone)' does not exist: 2 messages"), "\(dry)")

        let refused = try await Live.run(Live.warrenBinary, ["replay", setup.dlq] + broker, clearing: clear)
        #expect(refused.status == 2 && refused.stderr.contains("refusing to replay") && refused.stderr.contains("--force"),
                "\(refused)")
        #expect(try await Live.depth(setup.dlq) == 12, "nothing moved")

        let kept = try await Live.run(Live.warrenBinary, ["replay", setup.dlq, "--force", "--max-deaths", "2"] + broker,
                                      clearing: clear)
        #expect(kept.status == 3 && kept.stdout.contains("died more than 2 times (--max-deaths)"), "\(kept)")
        // The poison and the gone queue's messages stay; the rest moved (the loop's come back later).
        let left = try await Live.drain(setup.dlq)
        #expect(left.filter { $0.bodyString.hasPrefix("poison") }.count == 2)
        #expect(left.filter { $0.bodyString.hasPrefix(setup.gone) }.count == 2)
        try await Self.tearDown(setup)
    }
}
