import WarrenClient

/// Purging and moving a queue's messages.
public enum QueueActions {
    /// Removes every ready message of `queue`; returns how many.
    public static func purge(amqpURL: String, queue: String) async throws(MonitorError) -> Int {
        do {
            let connection = try await AMQPConnection.connect(to: amqpURL)
            do {
                let channel = try await connection.openChannel()
                let count = try await channel.queuePurge(queue)
                try? await connection.close()
                return Int(count)
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw MonitorError.from(error)
        }
    }

    /// Moves `queue`'s messages into `destination` with the replay's safety: each source copy is
    /// acked only after the broker confirmed the new one and did not return it.
    public static func move(amqpURL: String, queue: String, to destination: String, limit: Int? = nil,
                            ratePerSecond: Double? = nil) async throws(MonitorError) -> ReplayReport {
        guard queue != destination else { throw .failed("cannot move '\(queue)' into itself") }
        return try await Replay.run(
            amqpURL: amqpURL, queue: queue,
            options: ReplayOptions(target: .queue(destination), ratePerSecond: ratePerSecond, limit: limit))
    }
}
