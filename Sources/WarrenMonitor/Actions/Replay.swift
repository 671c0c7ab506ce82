import Foundation
import NIOCore
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
    /// Messages taken from the source and not yet settled (the consumer's prefetch window);
    /// messages that stay in the source widen it, up to AMQP's limit of 65,535.
    public var window: Int
    public var replayID: String
    /// A dry run without `limit` looks at no more than this many messages and says it sampled.
    public var sample: Int = 10_000

    public init(target: ReplayTarget = .origin, filters: [ReplayFilter] = [], dryRun: Bool = false,
                ratePerSecond: Double? = nil, limit: Int? = nil, window: Int = 1000,
                replayID: String = String(UUID().uuidString.prefix(8)).lowercased()) {
        self.target = target
        self.filters = filters
        self.dryRun = dryRun
        self.ratePerSecond = ratePerSecond
        self.limit = limit
        self.window = min(max(1, window), Int(UInt16.max) / 2)
        self.replayID = replayID
    }
}

/// Replays a dead-letter queue (or moves any queue's messages) without ever losing one.
///
/// Messages are consumed with manual acks and a prefetch window. Each is published with confirms
/// and `mandatory`, without waiting: the confirms come back while later messages are on their way.
/// The source copy is acked only after the broker confirmed the new one and did not return it;
/// acks go in batches (``ReplayLedger``). A message that is returned, nacked, filtered out or
/// caught by an error stays unacked until the end, when closing the channel puts it back in the
/// source in its original order. If the process or the broker dies in between, the broker
/// requeues every unacked message: at worst a message exists twice (published and confirmed, not
/// yet acked), never zero times.
///
/// The replay looks at as many messages as the queue held when it started (or `limit`), so
/// messages that its own replays dead-letter back into the queue are left for another run.
public enum Replay {
    /// Runs a replay, reporting progress as it goes (a few times a second). Cancelling the calling
    /// task stops it after the messages in flight are settled.
    public static func run(amqpURL: String, queue: String, options: ReplayOptions,
                           progress: @escaping @Sendable (ReplayProgress) -> Void = { _ in }) async throws(MonitorError)
        -> ReplayReport
    {
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            throw MonitorError(error)
        }
        // Publishing on a connection of its own, as RabbitMQ's shovel does: when the broker slows
        // or blocks a publishing connection (credit flow, a memory alarm), it stops reading from
        // it, and the acks that free the source's prefetch window must not wait behind that. On
        // RabbitMQ it is also faster: each connection has its own reader and writer processes.
        let target: AMQPConnection
        do {
            target = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            try? await connection.close()
            throw MonitorError(error)
        }
        do {
            let report = try await run(connection: connection, target: target, queue: queue, options: options,
                                       progress: progress)
            try? await target.close()
            try? await connection.close()
            return report
        } catch {
            try? await target.close()
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

    static func run(connection: AMQPConnection, target: AMQPConnection? = nil, queue: String, options: ReplayOptions,
                    progress: @escaping @Sendable (ReplayProgress) -> Void) async throws -> ReplayReport
    {
        let inbox = ReplayInbox()
        // The engine runs in a task of its own so that cancelling the caller does not cut its
        // waits short: cancelling becomes an event, and the messages in flight are settled first.
        let job = Task {
            try await ReplayEngine(connection: connection, targetConnection: target, queue: queue, options: options, progress: progress,
                                   inbox: inbox).run()
        }
        return try await withTaskCancellationHandler {
            try await job.value
        } onCancel: {
            inbox.post(.cancel)
        }
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
