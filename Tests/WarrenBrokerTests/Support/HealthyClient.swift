import NIOCore
import Synchronization
import Testing
import WarrenBroker
import WarrenClient

/// A well-behaved client that publishes and fetches in a loop while a test misbehaves on another
/// connection: whatever the misbehaving connection does must not reach it.
final class HealthyClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

    let connection: AMQPConnection
    let channel: AMQPChannel
    let queue: String
    private let stop = StopFlag()
    private let loop: Task<Int, any Error>

    private init(connection: AMQPConnection, channel: AMQPChannel, queue: String) {
        self.connection = connection
        self.channel = channel
        self.queue = queue
        let stop = self.stop
        loop = Task {
            var rounds = 0
            while !stop.stopped.load(ordering: .relaxed) {
                try await Self.roundTrip(channel, queue, body: "ping-\(rounds)")
                rounds += 1
                try await Task.sleep(for: .milliseconds(2))
            }
            return rounds
        }
    }

    /// Connects, declares its own queue and completes one round trip before returning.
    static func start(port: Int) async throws -> HealthyClient {
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(port)/")
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare("", exclusive: true).queue
        try await roundTrip(channel, queue, body: "hello")
        return HealthyClient(connection: connection, channel: channel, queue: queue)
    }

    /// Publishes one message and fetches it back.
    static func roundTrip(_ channel: AMQPChannel, _ queue: String, body: String) async throws {
        try await channel.publish(ByteBuffer(string: body), routingKey: queue)
        let got = try await channel.get(queue, noAck: true)
        guard got?.message.bodyString == body else {
            throw Failure(description: "published \(body), got \(got?.message.bodyString ?? "nothing")")
        }
    }

    /// Stops the loop (rethrowing anything that went wrong in it), checks that a new channel and
    /// a round trip still work, and closes the connection.
    func finish() async throws {
        stop.stopped.store(true, ordering: .relaxed)
        _ = try await loop.value
        try await Self.roundTrip(channel, queue, body: "after")
        let second = try await connection.openChannel()
        try await Self.roundTrip(second, queue, body: "after, on a new channel")
        try await connection.close()
    }
}

/// Starts a broker and a ``HealthyClient`` next to `body`; afterwards the healthy client must
/// still work. The broker is shut down however `body` ends.
func withHealthyBroker(
    _ configuration: BrokerConfiguration = BrokerConfiguration(amqpPort: 0),
    _ body: (Broker, HealthyClient) async throws -> Void
) async throws {
    let broker = try await Broker.start(configuration)
    do {
        let healthy = try await HealthyClient.start(port: broker.amqpPort)
        var failure: (any Error)?
        do {
            try await body(broker, healthy)
        } catch {
            failure = error
        }
        do {
            try await healthy.finish()
        } catch {
            Issue.record(error, "the healthy client stopped working")
        }
        if let failure { throw failure }
    } catch {
        try? await broker.shutdown()
        throw error
    }
    try await broker.shutdown()
}
