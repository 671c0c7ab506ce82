import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import Testing
import WarrenClient
import WarrenWire

/// `warren broker --memory-limit 32MiB` as a child process takes 256 MiB into a queue nobody
/// consumes from. Its resident memory stays near the limit, the management API shows messages
/// moving through beta and gamma to delta (with RAM and paged-out figures that agree with the
/// states), a consumer then gets every message back in order and intact, and the paging files
/// are gone afterwards.
@Suite(.serialized) struct PagingTests {
    static let limit = 32 << 20
    static let bodySize = 4096
    static let messages = (256 << 20) / bodySize

    /// What a sampler saw while the test ran.
    final class Observations: @unchecked Sendable {
        private let lock = NSLock()
        private var _maxAnonymous = 0
        private var _seen: Set<String> = []
        private var _samples = 0
        private var _disagreements: [String] = []
        private var _maxPagedOut = 0

        func record(anonymous: Int, sample: Sample) {
            lock.withLock {
                _maxAnonymous = max(_maxAnonymous, anonymous)
                for (state, count) in sample.states where count > 0 { _seen.insert(state) }
                if let disagreement = sample.disagreement, _disagreements.count < 5 { _disagreements.append(disagreement) }
                _maxPagedOut = max(_maxPagedOut, sample.figures["messages_paged_out"] ?? 0)
                _samples += 1
            }
        }

        var disagreements: [String] { lock.withLock { _disagreements } }
        var maxPagedOut: Int { lock.withLock { _maxPagedOut } }

        var maxAnonymous: Int { lock.withLock { _maxAnonymous } }
        var seen: Set<String> { lock.withLock { _seen } }
        var samples: Int { lock.withLock { _samples } }
        func reset() { lock.withLock { _seen = [] } }

        private var _stopped = false
        var stopped: Bool { lock.withLock { _stopped } }
        /// Ends the sampler. Not Task cancellation: cancelling a task inside URLSession's
        /// data(for:) can deadlock swift-corelibs-foundation (seen in CI), hanging every later
        /// request in the process.
        func stop() { lock.withLock { _stopped = true } }
    }

    static func body(_ index: Int) -> ByteBuffer {
        var buffer = ByteBuffer(repeating: UInt8(index % 251), count: bodySize)
        buffer.setInteger(UInt64(index), at: 0)
        return buffer
    }

    static func isIntact(_ body: ByteBuffer, _ index: Int) -> Bool {
        body.readableBytes == bodySize && body.getInteger(at: body.readerIndex, as: UInt64.self) == UInt64(index)
            && body.getInteger(at: body.readerIndex + bodySize - 1, as: UInt8.self) == UInt8(index % 251)
    }

    /// One GET of the queue: its message_states and the RAM and paged-out figures beside them.
    struct Sample {
        var states: [String: Int] = [:]
        var figures: [String: Int] = [:]

        /// What does not add up, as RabbitMQ defines the figures: messages_ram counts ready
        /// messages in RAM (alphas) and unacked ones; messages_paged_out counts the transient
        /// messages in delta.
        var disagreement: String? {
            guard !states.isEmpty else { return nil }
            let alpha = states["alpha"] ?? 0
            let unacked = figures["messages_unacknowledged"] ?? 0
            let pagedOut = figures["messages_paged_out"] ?? 0
            let checks: [(String, Bool)] = [
                ("messages_ready_ram", figures["messages_ready_ram"] == alpha),
                ("messages_ram", figures["messages_ram"] == alpha + unacked),
                ("message_bytes_ram", figures["message_bytes_ram"]
                    == alpha * PagingTests.bodySize + (figures["message_bytes_unacknowledged"] ?? 0)),
                ("messages_paged_out", pagedOut <= states["delta"] ?? 0),
                ("message_bytes_paged_out", figures["message_bytes_paged_out"] == pagedOut * PagingTests.bodySize),
            ]
            let failed = checks.filter { !$0.1 }.map(\.0)
            return failed.isEmpty ? nil : "\(failed) disagree with \(states) in \(figures)"
        }
    }

    static let figureNames = ["messages_ready_ram", "messages_unacknowledged_ram", "messages_ram",
                              "messages_unacknowledged", "message_bytes_ram", "message_bytes_unacknowledged",
                              "messages_paged_out", "message_bytes_paged_out"]

    static func sample(_ child: ChildBroker, queue: String) async -> Sample {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(child.managementPort)/api/queues/%2F/\(queue)")!)
        request.setValue("Basic " + Data("guest:guest".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 5
        guard let (data, _) = try? await URLSession.shared.data(for: request),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let status = object["backing_queue_status"] as? [String: Any],
              let states = status["message_states"] as? [String: Int]
        else { return Sample() }
        var sample = Sample(states: states)
        for name in figureNames { sample.figures[name] = object[name] as? Int }
        return sample
    }

    /// Anonymous resident memory (heap and stacks, not the mapped program) of a process.
    static func anonymousResident(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    @Test(.timeLimit(.minutes(10))) func twoHundredFiftySixMiBThroughAThirtyTwoMiBBroker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let child = try await ChildBroker.start(dataDirectory: directory.path, arguments: ["--memory-limit", "32MiB"])
        defer { child.kill() }
        let observations = Observations()
        let sampler = Task {
            while !observations.stopped {
                let sample = await Self.sample(child, queue: "paging")
                observations.record(anonymous: Self.anonymousResident(child.process.processIdentifier), sample: sample)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { observations.stop() }

        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(child.port)/")
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("paging", durable: true)
        try await channel.confirmSelect()
        // Half persistent (their positions are in the durable index: gamma once paged), half
        // transient (beta once paged).
        for start in stride(from: 0, to: Self.messages, by: 256) {
            for index in start..<min(start + 256, Self.messages) {
                try await channel.publish(Self.body(index), routingKey: "paging",
                                          properties: BasicProperties(deliveryMode: index % 2 == 0 ? 2 : 1))
            }
            let summary = try await channel.waitForConfirms()
            #expect(summary.allAcked)
        }
        let published = try await channel.queueDeclare("paging", passive: true)
        #expect(published.messageCount == UInt32(Self.messages))
        // One last sample with everything published.
        try await Task.sleep(for: .milliseconds(300))
        let whilePublishing = observations.seen
        #expect(whilePublishing.isSuperset(of: ["beta", "gamma", "delta"]), "states seen: \(whilePublishing)")
        // Half the messages are transient, so delta holds transient ones: messages_paged_out shows them.
        #expect(observations.maxPagedOut > 0, "messages_paged_out stayed 0 while the queue paged into delta")

        observations.reset()
        try await channel.qos(prefetchCount: 256)
        let consumer = try await channel.consume("paging")
        var next = 0
        var intact = true
        for try await delivery in consumer {
            intact = intact && Self.isIntact(delivery.body, next)
            next += 1
            if next % 128 == 0 { try await channel.ack(deliveryTag: delivery.deliveryTag, multiple: true) }
            if next == Self.messages { break }
        }
        #expect(next == Self.messages)
        #expect(intact, "every message comes back in order with its body")
        #expect(observations.seen.contains("gamma"), "positions are read back from delta as gammas: \(observations.seen)")
        #expect(observations.disagreements.isEmpty, "\(observations.disagreements)")
        try await channel.close()
        try await connection.close()
        observations.stop()
        await sampler.value
        // The limit counts messages; the process adds its code's heap, buffers and the message
        // store's writes (a debug build: about 41 MiB at the peak when this was written).
        #expect(observations.maxAnonymous < Self.limit * 3 / 2,
                "resident memory peaked at \(observations.maxAnonymous >> 20) MiB with a 32 MiB limit")

        // Everything was consumed and acked: the paging files are gone.
        var left = directory.files(in: "paging")
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = directory.files(in: "paging")
        }
        #expect(left.isEmpty, "paging files left: \(left)")
        print("paging: peak anonymous RSS \(observations.maxAnonymous >> 20) MiB, \(observations.samples) samples")
    }
}
