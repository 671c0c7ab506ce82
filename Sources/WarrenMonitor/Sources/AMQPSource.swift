import WarrenClient

/// A broker without the management plugin, watched over AMQP alone: for each queue the user
/// names, depth and consumer count by passive `queue.declare`. Rates come from depth deltas
/// between polls (the Snapshot does that); nothing else is knowable this way.
public actor AMQPSource: MonitorSource {
    public nonisolated let url: String
    public nonisolated let queueNames: [String]
    public nonisolated let description: String
    private var connection: AMQPConnection?

    public init(url: String, queues: [String]) throws(MonitorError) {
        do {
            let configuration = try AMQPConnectionConfiguration(url: url)
            description = "amqp \(configuration.host):\(configuration.port)\(configuration.virtualHost == "/" ? "" : " vhost \(configuration.virtualHost)")"
            vhost = configuration.virtualHost
        } catch {
            throw MonitorError(error)
        }
        self.url = url
        queueNames = queues
    }

    private let vhost: String

    public func fetch() async throws -> BrokerState {
        let connection = try await openConnection()
        var state = BrokerState()
        state.gaps = ["AMQP only: no nodes, exchanges, bindings, connections or counters (no management API)"]
        state.vhosts = [VhostInfo(name: vhost)]
        var channel: AMQPChannel?
        do {
            for name in queueNames {
                if channel == nil || channel?.isOpen == false { channel = try await connection.openChannel() }
                do {
                    let ok = try await channel!.queueDeclare(name, passive: true)
                    var queue = QueueInfo(id: QueueID(vhost: vhost, name: name), type: "unknown",
                                          messages: Int(ok.messageCount), consumers: Int(ok.consumerCount))
                    // Passive declare counts ready messages only.
                    queue.messagesUnacknowledged = nil
                    state.queues.append(queue)
                } catch let error where error.replyCode == 404 {
                    // The channel is closed by the 404; the next queue gets a new one.
                    state.gaps.append("queue '\(name)' does not exist")
                }
            }
            try? await channel?.close()
        } catch {
            self.connection = nil
            try? await connection.close()
            throw MonitorError(error)
        }
        state.overview.messages = state.queues.compactMap(\.messages).reduce(0, +)
        state.overview.broker = BrokerIdentity(serverProduct: connection.serverProperties["product"]?.stringValue,
                                               version: connection.serverProperties["version"]?.stringValue)
        return state
    }

    /// Closes the connection kept between polls.
    public func close() async {
        try? await connection?.close()
        connection = nil
    }

    private func openConnection() async throws(MonitorError) -> AMQPConnection {
        if let connection, connection.isOpen { return connection }
        do {
            let fresh = try await AMQPConnection.connect(to: url)
            connection = fresh
            return fresh
        } catch {
            throw MonitorError(error)
        }
    }
}
