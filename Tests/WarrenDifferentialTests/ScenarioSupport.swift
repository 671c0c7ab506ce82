import Foundation
import NIOCore
import Synchronization
import Testing
import WarrenClient

/// Shared plumbing of the differential scenarios: unique names, cleanup on the shared RabbitMQ
/// node, draining queues into a transcript, collecting consumer deliveries.
enum Scenario {
    static func suffix() -> String { "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    /// Runs `body` with a fresh suffix and a transcript; afterwards deletes `queues` and
    /// `exchanges` (given without the suffix) on a connection of its own, even if `body` threw.
    static func run(
        _ url: String, queues: [String] = [], exchanges: [String] = [],
        _ body: (String, inout Transcript) async throws -> Void
    ) async throws -> Transcript {
        let s = suffix()
        var t = Transcript(suffix: s)
        var failure: (any Error)?
        do {
            try await body(s, &t)
        } catch {
            failure = error
        }
        await cleanup(url, queues: queues.map { $0 + s }, exchanges: exchanges.map { $0 + s })
        if let failure { throw failure }
        return t.normalised()
    }

    static func cleanup(_ url: String, queues: [String], exchanges: [String]) async {
        guard let connection = try? await AMQPConnection.connect(to: url) else { return }
        var channel = try? await connection.openChannel()
        for q in queues {
            do { try await channel?.queueDelete(q) } catch { channel = try? await connection.openChannel() }
        }
        for e in exchanges {
            do { try await channel?.exchangeDelete(e) } catch { channel = try? await connection.openChannel() }
        }
        try? await connection.close()
    }

    /// The two transcripts must be equal; WARREN_DIFF_VERBOSE=1 prints them even when they are.
    static func expectSame(
        _ results: (rabbitmq: Transcript, warren: Transcript), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if ProcessInfo.processInfo.environment["WARREN_DIFF_VERBOSE"] != nil {
            let at = "\(sourceLocation.fileName):\(sourceLocation.line)"
            print("=== RabbitMQ \(at)\n\(results.rabbitmq)\n=== Warren \(at)\n\(results.warren)\n=== end \(at)")
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)",
                sourceLocation: sourceLocation)
    }

    /// basic.get with no-ack until the queue is empty; each message recorded under `label`.
    /// basic.get, retried for up to three seconds: RabbitMQ enqueues publishes and dead letters
    /// asynchronously, so a get right after them can come back empty.
    static func getEventually(_ channel: AMQPChannel, _ queue: String) async throws -> AMQPGetResult? {
        for _ in 0..<60 {
            if let got = try await channel.get(queue) { return got }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Waits up to ten seconds until `queue` holds at least `count` ready messages (or, with
    /// `orFewer`, at most `count`). RabbitMQ dead-letters and expires asynchronously, and on a
    /// loaded machine a fixed pause of a few hundred milliseconds is sometimes not enough. Returns
    /// either way: what the queue then holds goes into the transcripts and is compared.
    static func awaitDepth(_ channel: AMQPChannel, _ queue: String, _ count: UInt32, orFewer: Bool = false) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let depth = try await channel.queueDeclare(queue, passive: true).messageCount
            if orFewer ? depth <= count : depth >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func drain(_ channel: AMQPChannel, _ queue: String, into t: inout Transcript, label: String) async throws {
        var n = 0
        while let got = try await channel.get(queue, noAck: true) {
            t.record(got.message, prefix: label)
            n += 1
        }
        if n == 0 { t.record("\(label): (empty)") }
    }

    /// Bodies only, in order: "a b c".
    static func bodies(_ channel: AMQPChannel, _ queue: String) async throws -> String {
        var out: [String] = []
        while let got = try await channel.get(queue, noAck: true) {
            out.append(got.message.bodyString + (got.message.redelivered ? "(r)" : ""))
        }
        return out.joined(separator: " ")
    }

    /// Whether `queue` exists: a passive declare on a channel of its own (a 404 closes it).
    static func exists(_ connection: AMQPConnection, _ queue: String) async throws -> Bool {
        let ch = try await connection.openChannel()
        do {
            _ = try await ch.queueDeclare(queue, passive: true)
            try await ch.close()
            return true
        } catch AMQPClientError.channelClosedByServer(let reason) where reason.replyCode == 404 {
            return false
        }
    }

    /// Runs `attempt` on a new channel of `connection` and records the outcome.
    static func refused(
        _ label: String, on connection: AMQPConnection, into t: inout Transcript,
        _ attempt: (AMQPChannel) async throws -> Void
    ) async throws {
        let ch = try await connection.openChannel()
        do {
            try await attempt(ch)
            t.record("\(label): ok")
        } catch AMQPClientError.channelClosed where ch.closedError != nil {
            // A request sent while the broker's channel.close was on its way fails as plain
            // "channel closed" in the client; the broker's reason is on the channel.
            t.record(ch.closedError!, context: label)
        } catch let error as AMQPClientError {
            t.record(error, context: label)
        } catch {
            t.record("\(label): unexpected \(error)")
        }
        if ch.isOpen { try? await ch.close() }
    }
}

/// Deliveries of consumers, gathered by background tasks, read back as transcript lines.
final class Collector: Sendable {
    private let state = Mutex<[String]>([])
    private let tasks = Mutex<[Task<Void, Never>]>([])

    func collect(_ consumer: AMQPConsumer, as name: String, ack: Bool = false) {
        let task = Task {
            do {
                for try await delivery in consumer {
                    let line = "\(name): \(delivery.bodyString) redelivered=\(delivery.redelivered)"
                        + Transcript.describe(delivery.properties)
                    state.withLock { $0.append(line) }
                    if ack { try await consumer.channel.ack(deliveryTag: delivery.deliveryTag) }
                }
                state.withLock { $0.append("\(name): ended") }
            } catch {
                state.withLock { $0.append("\(name): ended with \(error)") }
            }
        }
        tasks.withLock { $0.append(task) }
    }

    var lines: [String] { state.withLock { $0 } }

    func append(_ line: String) {
        state.withLock { $0.append(line) }
    }

    /// Waits until `count` lines arrived, or `timeout` passed; then a short settle for extras.
    func wait(for count: Int, timeout: Duration = .seconds(3)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while lines.count < count && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
    }

    /// Removes and returns the lines so far.
    func take() -> [String] {
        state.withLock { lines in
            defer { lines = [] }
            return lines
        }
    }
}

extension Transcript {
    mutating func record(contentsOf lines: [String]) {
        for line in lines { record(line) }
    }
}

extension AMQPReturnedMessage {
    var bodyString: String { String(buffer: body) }
}
