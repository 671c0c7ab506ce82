import Foundation
import NIOCore
import Synchronization
import WarrenClient
import WarrenWire

/// How to run a replay.
public struct ReplayOptions: Sendable {
    public var target: ReplayTarget
    public var filters: [ReplayFilter]
    /// Plan only: count per target, move nothing (messages are looked at and put back).
    public var dryRun: Bool
    /// At most this many messages per second.
    public var ratePerSecond: Double?
    /// At most this many messages looked at (besides the queue's length at the start).
    public var limit: Int?
    /// Messages published before their confirms are awaited together.
    public var window: Int
    public var replayID: String

    public init(target: ReplayTarget = .origin, filters: [ReplayFilter] = [], dryRun: Bool = false,
                ratePerSecond: Double? = nil, limit: Int? = nil, window: Int = 200,
                replayID: String = String(UUID().uuidString.prefix(8)).lowercased()) {
        self.target = target
        self.filters = filters
        self.dryRun = dryRun
        self.ratePerSecond = ratePerSecond
        self.limit = limit
        self.window = max(1, window)
        self.replayID = replayID
    }
}

/// Replays a dead-letter queue (or moves any queue's messages) without ever losing one.
///
/// Messages are taken with `basic.get` and manual acks. Each is published with confirms and
/// `mandatory`; the source copy is acked only after the broker confirmed the new one and did not
/// return it. A message that is returned, nacked, filtered out or caught by an error stays unacked
/// until the end, when closing the channel puts it back in the source in its original order. If
/// the process or the broker dies in between, the broker requeues every unacked message: at worst
/// a message exists twice (published and confirmed, not yet acked), never zero times.
public enum Replay {
    /// Runs a replay, reporting progress as it goes. Cancelling the calling task stops it after
    /// the messages in flight are settled.
    public static func run(amqpURL: String, queue: String, options: ReplayOptions,
                           progress: @Sendable (ReplayProgress) -> Void = { _ in }) async throws(MonitorError)
        -> ReplayReport
    {
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            throw MonitorError(error)
        }
        do {
            let report = try await run(connection: connection, queue: queue, options: options, progress: progress)
            try? await connection.close()
            return report
        } catch {
            try? await connection.close()
            throw MonitorError.from(error)
        }
    }

    /// Progress and the final report as an async sequence. Ending the iteration cancels the replay.
    public static func events(amqpURL: String, queue: String, options: ReplayOptions)
        -> AsyncThrowingStream<ReplayEvent, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let report = try await run(amqpURL: amqpURL, queue: queue, options: options) {
                        continuation.yield(.progress($0))
                    }
                    continuation.yield(.finished(report))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One delivery taken from the source and published, awaiting its confirm.
    private struct InFlight {
        var deliveryTag: UInt64
        var publishSequence: UInt64
        var stampSequence: Int
        var label: String
    }

    static func run(connection: AMQPConnection, queue: String, options: ReplayOptions,
                    progress report: @Sendable (ReplayProgress) -> Void) async throws -> ReplayReport
    {
        let control = try await connection.openChannel()
        let length = Int(try await control.queueDeclare(queue, passive: true).messageCount)
        try? await control.close()
        let budget = min(length, options.limit ?? Int.max)
        var progress = ReplayProgress(lengthAtStart: budget)
        var warnings: [String] = []
        let planner = ReplayPlanner(replayID: options.replayID, target: options.target, filters: options.filters)

        let source = try await connection.openChannel()
        let publisher = try await connection.openChannel()
        try await publisher.confirmSelect()
        let returned = ReturnedStamps(replayID: options.replayID)
        let collector = Task { for await message in publisher.returns { returned.record(message.properties.headers) } }
        defer { collector.cancel() }

        var inFlight: [InFlight] = []
        var acked: Set<Int> = []
        var knownQueues: Set<String> = []
        let started = ContinuousClock.now
        var stop = ReplayStop.reachedLength

        func settle() async throws {
            guard !inFlight.isEmpty else { return }
            var outcomes: [AMQPConfirmation] = []
            for entry in inFlight { outcomes.append(try await publisher.waitForConfirm(entry.publishSequence)) }
            // RabbitMQ sends basic.return before the ack of the same message; give the task that
            // reads returns the moment it needs to record what already arrived.
            await returned.settle()
            for (entry, outcome) in zip(inFlight, outcomes) {
                if returned.contains(entry.stampSequence) {
                    progress.returned += 1
                } else if outcome == .nack {
                    progress.failed += 1
                } else {
                    try await source.ack(deliveryTag: entry.deliveryTag)
                    acked.insert(entry.stampSequence)
                    progress.moved += 1
                    progress.perTarget[entry.label, default: 0] += 1
                }
            }
            inFlight.removeAll()
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            progress.rate = elapsed > 0 ? Double(progress.moved) / elapsed : 0
            report(progress)
        }

        do {
            while progress.seen < budget {
                if Task.isCancelled {
                    stop = .cancelled
                    break
                }
                guard let got = try await source.get(queue, noAck: false) else {
                    stop = .queueEmpty
                    break
                }
                progress.seen += 1
                let message = got.message
                switch planner.decide(properties: message.properties, sequence: progress.seen) {
                case .ownMessage:
                    // Left unacked: closing the channel puts it back.
                    progress.seen -= 1
                    stop = .sawOwnMessage
                case .skip(let why):
                    progress.skipped += 1
                    progress.skipReasons[why, default: 0] += 1
                case .publish(let exchange, let routingKey, let properties, let label):
                    if options.dryRun {
                        progress.perTarget[label, default: 0] += 1
                        continue
                    }
                    if exchange.isEmpty, !knownQueues.contains(routingKey) {
                        try await settle()
                        if try await queueExists(routingKey, on: connection) {
                            knownQueues.insert(routingKey)
                        } else {
                            progress.returned += 1
                            progress.skipReasons["target queue '\(routingKey)' does not exist", default: 0] += 1
                            continue
                        }
                    }
                    let sequence = try await publisher.publish(
                        message.body, exchange: exchange, routingKey: routingKey, mandatory: true,
                        properties: properties)
                    inFlight.append(InFlight(deliveryTag: message.deliveryTag, publishSequence: sequence,
                                             stampSequence: progress.seen, label: label))
                    if inFlight.count >= options.window { try await settle() }
                }
                if stop == .sawOwnMessage { break }
                if let rate = options.ratePerSecond, rate > 0 {
                    try await settle()
                    let due = started + .milliseconds(Int(Double(progress.seen) / rate * 1000))
                    if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
                }
            }
            try await settle()
        } catch {
            // Everything not acked goes back to the source when the connection closes.
            try? await source.close()
            try? await publisher.close()
            throw error
        }
        if options.dryRun, progress.seen > 0 {
            warnings.append("dry run: the messages looked at were put back; RabbitMQ marks them redelivered")
        }
        // Unacked messages (returned, failed, skipped, or our own) go back in their order.
        try await source.close()
        try? await publisher.close()
        let late = returned.count(in: acked)
        if late > 0 {
            warnings.append("\(late) message(s) were returned after their source copy was acked: they are lost")
        }
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        progress.rate = elapsed > 0 ? Double(progress.moved) / elapsed : 0
        report(progress)
        return ReplayReport(replayID: options.replayID, dryRun: options.dryRun, progress: progress, stop: stop,
                            warnings: warnings)
    }

    /// Passive declare on a channel of its own (a 404 closes the channel).
    static func queueExists(_ name: String, on connection: AMQPConnection) async throws -> Bool {
        let channel = try await connection.openChannel()
        do {
            _ = try await channel.queueDeclare(name, passive: true)
            try? await channel.close()
            return true
        } catch let error where error.replyCode == 404 {
            return false
        }
    }
}

/// The stamp sequences of messages the broker returned, recorded by the task reading returns.
final class ReturnedStamps: Sendable {
    private let state = Mutex<(seen: Set<Int>, count: Int)>(([], 0))
    let replayID: String

    init(replayID: String) {
        self.replayID = replayID
    }

    func record(_ headers: FieldTable?) {
        guard let sequence = replaySequence(headers, replayID: replayID) else { return }
        state.withLock {
            $0.seen.insert(sequence)
            $0.count += 1
        }
    }

    func contains(_ sequence: Int) -> Bool { state.withLock { $0.seen.contains(sequence) } }

    /// Lets the reader task run before returns are looked at.
    func settle() async {
        for _ in 0..<3 { await Task.yield() }
        try? await Task.sleep(for: .milliseconds(1))
    }

    /// How many of these sequences were returned: for acked ones, returns that came too late.
    func count(in sequences: Set<Int>) -> Int { state.withLock { $0.seen.intersection(sequences).count } }
}
