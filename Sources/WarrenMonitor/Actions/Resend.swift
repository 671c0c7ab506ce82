import Foundation
import NIOCore
import WarrenClient
import WarrenWire

/// What a resend did.
public struct ResendReport: Sendable, Hashable, Codable {
    public var queue: String
    public var exchange: String
    public var routingKey: String
    /// The original was found again and acked after the new copy's confirm.
    public var originalAcked: Bool

    public init(queue: String, exchange: String, routingKey: String, originalAcked: Bool) {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
        self.originalAcked = originalAcked
    }
}

/// Fix and resend: a message is fetched whole, edited, and published again with confirms; the
/// original leaves its queue only after the broker confirmed the new copy and did not return it.
public enum Resend {
    /// FNV-1a, 64 bits, of a body: enough to find a peeked message again among the first ones of
    /// its queue (it is checked with the message's position and properties too).
    public static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The document `e` opens in the editor: the message in the export format, pretty, with the
    /// exchange and routing key it will be published to (a dead letter's origin by default).
    public static func document(for message: ExportedMessage) throws -> String {
        let line = try message.line()
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys,
                                                                                 .withoutEscapingSlashes])
        return String(decoding: pretty, as: UTF8.self) + "\n"
    }

    /// Where a fetched message goes by default: a dead letter back to the queue it was first
    /// dead-lettered from, anything else where it was published.
    public static func defaultTarget(of message: AMQPDelivery) -> (exchange: String, routingKey: String) {
        if let origin = DeadLetterHistory(headers: message.properties.headers).origin { return ("", origin.queue) }
        return (message.exchange, message.routingKey)
    }

    /// Reads the first `within` messages of `queue` and returns the one with this digest (and
    /// message id, when given), whole, addressed to its default target. The queue is left as it
    /// was: the messages go back in their order when the channel closes.
    public static func fetch(amqpURL: String, queue: String, digest: UInt64, messageID: String?, within: Int)
        async throws(MonitorError) -> ExportedMessage
    {
        try await withChannel(amqpURL) { channel in
            let delivery = try await find(queue, digest: digest, messageID: messageID, within: within, on: channel)
            let target = defaultTarget(of: delivery)
            return ExportedMessage(exchange: target.exchange, routingKey: target.routingKey,
                                   redelivered: delivery.redelivered, properties: delivery.properties,
                                   body: Array(delivery.body.readableBytesView))
        }
    }

    /// Publishes `edited` to its exchange and routing key with confirms and `mandatory`; only when
    /// the broker confirmed it without returning it is the original (found again by digest) acked.
    public static func run(amqpURL: String, queue: String, digest: UInt64, messageID: String?, within: Int,
                           edited: ExportedMessage) async throws(MonitorError) -> ResendReport
    {
        try await withChannel(amqpURL) { source in
            let original = try await find(queue, digest: digest, messageID: messageID, within: within, on: source)
            let publisher = try await source.connection.openChannel()
            try await publisher.confirmSelect()
            var events = try await publisher.publisherEvents().makeAsyncIterator()
            _ = try await publisher.publish(ByteBuffer(bytes: edited.body), exchange: edited.exchange,
                                            routingKey: edited.routingKey, mandatory: true, properties: edited.properties)
            var returned = false
            settle: while let event = try await events.next() {
                switch event {
                case .returned: returned = true
                case .ack: break settle
                case .nack: throw MonitorError.failed("the broker nacked the new copy; the original stays in '\(queue)'")
                }
            }
            if returned {
                throw MonitorError.failed("the new copy was unroutable (exchange '\(edited.exchange)', key "
                    + "'\(edited.routingKey)'); the original stays in '\(queue)'")
            }
            try await source.ack(deliveryTag: original.deliveryTag)
            try? await publisher.close()
            return ResendReport(queue: queue, exchange: edited.exchange, routingKey: edited.routingKey, originalAcked: true)
        }
    }

    static func find(_ queue: String, digest: UInt64, messageID: String?, within: Int, on channel: AMQPChannel)
        async throws -> AMQPDelivery
    {
        var looked = 0
        while looked < within, let got = try await channel.get(queue, noAck: false) {
            looked += 1
            let message = got.message
            if Self.digest(message.body.readableBytesView) == digest,
               messageID == nil || message.properties.messageID == messageID
            {
                return message
            }
        }
        throw MonitorError.notFound("the message is no longer among the first \(looked) of '\(queue)' "
            + "(taken by a consumer, or moved); nothing was sent")
    }

    /// A channel of a fresh connection; closing it puts every unacked message back in its queue.
    static func withChannel<T: Sendable>(_ url: String, _ body: (AMQPChannel) async throws -> T)
        async throws(MonitorError) -> T
    {
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: url)
        } catch {
            throw MonitorError(error)
        }
        do {
            let result = try await body(try await connection.openChannel())
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw MonitorError.from(error)
        }
    }
}
