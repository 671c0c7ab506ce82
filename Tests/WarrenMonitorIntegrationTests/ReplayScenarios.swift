import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient
import WarrenWire
@testable import WarrenMonitor
#if canImport(Glibc)
import Glibc
#endif

/// Replays that must come out exact, whatever happens mid-way, written once and run on
/// RabbitMQ 3.10.8 and on the embedded broker (ReplayOnBrokersTests.swift).
enum ReplayScenarios {
    /// A DLQ fed by `origins` queues through a fanout dead-letter exchange.
    struct Topology {
        var base: String
        var dlx: String { base + ".dlx" }
        var dlq: String { base + ".dlq" }
        var origins: [String]

        init(_ prefix: String, origins: Int) {
            let base = Live.unique(prefix)
            self.base = base
            self.origins = (0..<origins).map { "\(base).origin\($0)" }
        }

        /// The body of message `n` of origin `o`: small, and says where it belongs.
        static func body(_ origin: Int, _ n: Int) -> String { "o\(origin)-\(n)" }
    }

    /// Declares the topology and dead-letters `perOrigin` messages from each origin into the DLQ,
    /// for real (a consumer rejects them without requeue), interleaved between the origins.
    static func deadLetters(_ url: String, _ topology: Topology, perOrigin: Int) async throws {
        try await Live.withChannel(url) { channel in
            try await channel.exchangeDeclare(topology.dlx, type: "fanout")
            _ = try await channel.queueDeclare(topology.dlq)
            try await channel.queueBind(topology.dlq, exchange: topology.dlx)
            for origin in topology.origins {
                _ = try await channel.queueDeclare(origin, arguments: ["x-dead-letter-exchange": .string(topology.dlx)])
            }
            try await channel.confirmSelect()
            for n in 0..<perOrigin {
                for (o, origin) in topology.origins.enumerated() {
                    try await channel.publish(ByteBuffer(string: Topology.body(o, n)), routingKey: origin)
                }
                if n % 2000 == 1999 { try await channel.waitForConfirms() }
            }
            try await channel.waitForConfirms()
        }
        // One rejecting consumer per origin, on channels of their own, all at once: the DLQ gets
        // the origins interleaved, each in its own order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for origin in topology.origins {
                group.addTask {
                    try await Live.withChannel(url) { channel in
                        try await channel.qos(prefetchCount: 1000)
                        let consumer = try await channel.consume(origin)
                        var count = 0
                        for try await delivery in consumer {
                            count += 1
                            if count % 250 == 0 || count == perOrigin {
                                try await channel.nack(deliveryTag: delivery.deliveryTag, multiple: true, requeue: false)
                            }
                            if count == perOrigin { break }
                        }
                        try await consumer.cancel()
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = perOrigin * topology.origins.count
        _ = try await Live.eventually("\(total) dead letters in \(topology.dlq)", seconds: 60) {
            try await Live.depth(topology.dlq, url: url) == total ? true : nil
        }
    }

    /// Takes every message of `queue` with a no-ack consumer (basic.get would be one round trip
    /// each), until `count` arrived and the queue is empty.
    static func drain(_ url: String, _ queue: String, count: Int) async throws -> [String] {
        guard count > 0 else { return [] }
        let bodies = try await Live.withChannel(url) { channel -> [String] in
            var bodies: [String] = []
            bodies.reserveCapacity(count)
            let consumer = try await channel.consume(queue, noAck: true)
            for try await delivery in consumer {
                bodies.append(delivery.bodyString)
                if bodies.count == count { break }
            }
            try await consumer.cancel()
            return bodies
        }
        #expect(try await Live.depth(queue, url: url) == 0, "nothing more than \(count) in \(queue)")
        return bodies
    }

    /// What every replay here must leave: each origin holds its bodies exactly once, in order,
    /// and the DLQ holds the rest, in order; duplicates (a fault between confirm and ack) are
    /// counted and returned, missing messages fail the test.
    @discardableResult
    static func expectExact(_ url: String, _ topology: Topology, perOrigin: Int, inOrigins: Int, inDLQ: Int,
                            allowDuplicates: Bool = false) async throws -> Int {
        var everything: [String: Int] = [:]
        var duplicates = 0
        for (o, origin) in topology.origins.enumerated() {
            let depth = try await Live.depth(origin, url: url)
            let bodies = try await drain(url, origin, count: depth)
            let numbers = bodies.map { Int($0.split(separator: "-")[1])! }
            #expect(bodies.allSatisfy { $0.hasPrefix("o\(o)-") }, "only its own messages in \(origin)")
            var seen = Set<Int>()
            var ordered = true
            var last = -1
            for n in numbers {
                if !seen.insert(n).inserted { duplicates += 1; continue }
                if n < last { ordered = false }
                last = n
            }
            #expect(allowDuplicates || seen.count == numbers.count, "no duplicates in \(origin)")
            #expect(ordered, "\(origin) holds its messages in their order")
            for body in bodies { everything[body, default: 0] += 1 }
        }
        #expect(everything.count == inOrigins, "\(inOrigins) distinct messages in the origins")
        let left = try await drain(url, topology.dlq, count: try await Live.depth(topology.dlq, url: url))
        #expect(left.count == inDLQ, "\(inDLQ) left in the DLQ")
        var perOriginLeft: [Int: [Int]] = [:]
        for body in left {
            let parts = body.split(separator: "-")
            perOriginLeft[Int(parts[0].dropFirst())!, default: []].append(Int(parts[1])!)
            everything[body, default: 0] += 1
        }
        for (o, numbers) in perOriginLeft { #expect(numbers == numbers.sorted(), "the DLQ keeps origin \(o)'s order") }
        var missing = 0
        for o in topology.origins.indices {
            for n in 0..<perOrigin where everything[Topology.body(o, n)] == nil { missing += 1 }
        }
        #expect(missing == 0, "no message lost")
        return duplicates
    }

    static func cleanUp(_ url: String, _ topology: Topology) async throws {
        try await Live.withChannel(url) { channel in
            for queue in topology.origins + [topology.dlq] { _ = try await channel.queueDelete(queue) }
            try await channel.exchangeDelete(topology.dlx)
        }
    }

    // MARK: The scenarios

    /// 100,000 dead letters from four origins go back, each once, in order.
    static func largeReplayIsExact(_ url: String) async throws {
        let topology = Topology("replay-100k", origins: 4)
        let perOrigin = 25_000
        try await deadLetters(url, topology, perOrigin: perOrigin)
        let started = ContinuousClock.now
        let report = try await Replay.run(amqpURL: url, queue: topology.dlq, options: ReplayOptions())
        let elapsed = ContinuousClock.now - started
        print("replay of \(perOrigin * 4) dead letters on \(url): \(elapsed), \(Int(report.progress.rate)) msg/s")
        #expect(report.progress.moved == perOrigin * 4)
        #expect(report.complete && report.stop == .reachedLength)
        try await expectExact(url, topology, perOrigin: perOrigin, inOrigins: perOrigin * 4, inDLQ: 0)
        try await cleanUp(url, topology)
    }

    /// Messages that must stay (a dry run, filtered out, returned as unroutable) stay, in order,
    /// while the others move: batch acks never reach over them. The dry run's window is so wide
    /// that after 1,535 kept messages the prefetch would pass AMQP's 65,535, so it goes on with
    /// basic.get.
    static func keptMessagesStayInOrder(_ url: String) async throws {
        let topology = Topology("replay-keep", origins: 2)
        let perOrigin = 1000
        try await deadLetters(url, topology, perOrigin: perOrigin)

        let plan = try await Replay.run(amqpURL: url, queue: topology.dlq,
                                        options: ReplayOptions(dryRun: true, window: 16_000))
        #expect(plan.progress.perTarget == ["queue \(topology.origins[0])": perOrigin,
                                            "queue \(topology.origins[1])": perOrigin])
        #expect(plan.stop == .reachedLength && plan.progress.moved == 0)

        let unroutable = topology.base + ".nowhere"
        try await Live.withChannel(url) { try await $0.exchangeDeclare(unroutable, type: "direct") }
        let returned = try await Replay.run(amqpURL: url, queue: topology.dlq,
                                            options: ReplayOptions(target: .exchange(unroutable, routingKey: "none"),
                                                                   limit: 500))
        #expect(returned.progress.returned == 500 && returned.progress.moved == 0)
        #expect(returned.stop == .reachedLimit)

        let filtered = try await Replay.run(amqpURL: url, queue: topology.dlq,
                                            options: ReplayOptions(filters: [.sourceQueue(topology.origins[0])]))
        #expect(filtered.progress.moved == perOrigin && filtered.progress.skipped == perOrigin)
        try await Live.withChannel(url) { try await $0.exchangeDelete(unroutable) }
        // Origin 0 holds its messages in order; origin 1's are still in the DLQ, in order.
        var origin1Left: [String] = []
        let dlqDepth = try await Live.depth(topology.dlq, url: url)
        #expect(dlqDepth == perOrigin)
        origin1Left = try await drain(url, topology.dlq, count: dlqDepth)
        #expect(origin1Left == (0..<perOrigin).map { Topology.body(1, $0) })
        let origin0 = try await drain(url, topology.origins[0], count: try await Live.depth(topology.origins[0], url: url))
        #expect(origin0 == (0..<perOrigin).map { Topology.body(0, $0) })
        try await cleanUp(url, topology)
    }

    /// Cancelled mid-way: what was moved is in the origins once, the rest is in the DLQ in order,
    /// nothing twice (the messages in flight are settled before it stops).
    static func cancelLosesNothing(_ url: String) async throws {
        let topology = Topology("replay-cancel", origins: 2)
        let perOrigin = 5000
        try await deadLetters(url, topology, perOrigin: perOrigin)
        let moved = SharedCount()
        let replay = Task {
            try await Replay.run(amqpURL: url, queue: topology.dlq, options: ReplayOptions(ratePerSecond: 4000)) {
                moved.set($0.moved)
            }
        }
        _ = try await Live.eventually("the replay to be under way") { moved.value >= 1000 ? true : nil }
        replay.cancel()
        let report = try await replay.value
        #expect(report.stop == .cancelled)
        let count = report.progress.moved
        #expect(count > 0 && count < perOrigin * 2)
        try await expectExact(url, topology, perOrigin: perOrigin, inOrigins: count, inDLQ: perOrigin * 2 - count)
        try await cleanUp(url, topology)
    }

    /// `warren replay` is killed with SIGKILL mid-way; a rerun finishes the job. Nothing is lost;
    /// duplicates (confirmed, not yet acked, when the process died) are counted.
    static func killedReplayThenRerunLosesNothing(_ url: String) async throws {
        let topology = Topology("replay-kill", origins: 2)
        let perOrigin = 5000
        let total = perOrigin * 2
        try await deadLetters(url, topology, perOrigin: perOrigin)
        let child = try ChildProcess(Live.warrenBinary, ["replay", topology.dlq, "--amqp", url, "--rate", "3000"])
        _ = try await Live.eventually("the replay to be under way") {
            try await Live.depth(topology.dlq, url: url) <= total - 1500 ? true : nil
        }
        child.kill()
        let status = await child.exit()
        #expect(status != 0, "the replay was killed, it did not finish")
        // The broker requeues what the dead connection held once it notices the socket closed.
        let rerun = try await Live.eventually("a rerun that finishes") { () -> ReplayReport? in
            let report = try await Replay.run(amqpURL: url, queue: topology.dlq, options: ReplayOptions())
            return try await Live.depth(topology.dlq, url: url) == 0 ? report : nil
        }
        #expect(rerun.complete)
        let duplicates = try await expectExact(url, topology, perOrigin: perOrigin, inOrigins: total, inDLQ: 0,
                                               allowDuplicates: true)
        print("kill test on \(url): \(rerun.progress.moved) moved by the rerun, \(duplicates) duplicate(s)")
        #expect(duplicates <= ReplayOptions().window, "at most one window can be duplicated")
        try await cleanUp(url, topology)
    }
}

/// A child process the test can SIGKILL; its exit is awaited without blocking a thread.
final class ChildProcess {
    private let process: Process
    private let exited: AsyncStream<Int32>

    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let (exited, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
        try process.run()
        self.process = process
        self.exited = exited
    }

    func kill() { _ = Glibc.kill(process.processIdentifier, SIGKILL) }

    func exit() async -> Int32 {
        for await status in exited { return status }
        return process.terminationStatus
    }
}
