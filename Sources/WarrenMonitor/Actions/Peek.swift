import WarrenClient

/// What a peek saw.
public struct PeekResult: Sendable, Hashable, Codable {
    public var queue: String
    public var messages: [MessageView]
    /// Said to the user alongside the messages (side effects of peeking).
    public var warnings: [String]

    public init(queue: String, messages: [MessageView], warnings: [String] = []) {
        self.queue = queue
        self.messages = messages
        self.warnings = warnings
    }
}

/// Looks at the head of a queue without taking anything: `basic.get` without ack, then the
/// channel is closed, which puts every message back where it was, in order.
public enum Peek {
    /// Refuses (``MonitorError/needsForce(_:)``) when peeking could lose messages: a quorum queue
    /// with a delivery limit counts each peek as a delivery and drops or dead-letters a message
    /// past the limit. `queue` is what the management API said about the queue; `nil` means the
    /// type is unknown (AMQP only), which is refused too unless forced.
    public static func check(_ name: String, queue: QueueInfo?, force: Bool) throws(MonitorError) -> [String] {
        var warnings: [String] = []
        if let queue {
            if queue.isQuorum, let limit = queue.deliveryLimit {
                guard force else {
                    throw .needsForce(
                        "'\(name)' is a quorum queue with a delivery limit of \(limit): each peek counts as a delivery, "
                            + "and a message past the limit is dropped or dead-lettered; pass --force to peek anyway")
                }
                warnings.append("each peek counted one delivery attempt towards the delivery limit (\(limit))")
            } else if queue.isQuorum {
                warnings.append("quorum queue: each peek increments the messages' delivery count")
            }
        } else if !force {
            throw .needsForce(
                "cannot tell whether '\(name)' is a quorum queue with a delivery limit without the management API; "
                    + "give --management, or pass --force to peek anyway")
        }
        return warnings
    }

    /// What putting the peeked messages back did, said of the broker that did it: both RabbitMQ
    /// and Warren's embedded broker mark requeued messages redelivered (Warren's also has a peek
    /// without side effects, used when its management API is known).
    static func requeueNote(_ connection: AMQPConnection, of messages: String = "the peeked messages") -> String {
        requeueNote(broker(connection), of: messages)
    }

    /// "LavinMQ now marks the peeked messages redelivered".
    public static func requeueNote(_ broker: BrokerIdentity, of messages: String = "the peeked messages") -> String {
        "\(broker.subject) now marks \(messages) redelivered"
    }

    /// The broker at the other end of an AMQP connection, as its server properties name it.
    static func broker(_ connection: AMQPConnection) -> BrokerIdentity {
        BrokerIdentity(serverProduct: connection.serverProperties["product"]?.stringValue,
                       version: connection.serverProperties["version"]?.stringValue)
    }

    /// Peeks at up to `count` messages of `queue` through the AMQP URL. On Warren's embedded
    /// broker, given its management API, it uses the broker's peek, which leaves the queue exactly
    /// as it was; elsewhere basic.get and a requeue, which marks the messages redelivered.
    public static func run(amqpURL: String, queue name: String, count: Int, queueInfo: QueueInfo?,
                           force: Bool = false, management: ManagementSource? = nil) async throws(MonitorError)
        -> PeekResult
    {
        var warnings = try check(name, queue: queueInfo, force: force)
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            throw MonitorError(error)
        }
        if let management, broker(connection).product == .warren {
            try? await connection.close()
            let id = queueInfo?.id ?? QueueID(vhost: connection.configuration.virtualHost, name: name)
            do {
                let fetched = try await management.peek(id, count: count)
                let messages = fetched.enumerated().map { MessageView(index: $0.offset + 1, fetched: $0.element) }
                if !messages.isEmpty {
                    warnings.insert("Warren's embedded broker peeks without side effects: the queue is as it was", at: 0)
                }
                return PeekResult(queue: name, messages: messages, warnings: warnings)
            } catch {
                throw MonitorError.from(error)
            }
        }
        do {
            let channel = try await connection.openChannel()
            var messages: [MessageView] = []
            while messages.count < count, let got = try await channel.get(name, noAck: false) {
                let m = got.message
                messages.append(MessageView(index: messages.count + 1, redelivered: m.redelivered, exchange: m.exchange,
                                            routingKey: m.routingKey, properties: m.properties, body: m.body))
            }
            // Closing the channel returns the unacked messages to the queue in their order.
            try await channel.close()
            try await connection.close()
            if !messages.isEmpty { warnings.insert(Self.requeueNote(connection), at: 0) }
            return PeekResult(queue: name, messages: messages, warnings: warnings)
        } catch {
            try? await connection.close()
            throw MonitorError(error)
        }
    }
}
