import NIOCore
import WarrenWire

/// A published message. One instance is shared by every queue it was routed to; dead lettering
/// makes a new one with new headers.
final class Message {
    let exchange: String
    let routingKey: String
    let properties: BasicProperties
    let body: ByteBuffer

    init(exchange: String, routingKey: String, properties: BasicProperties, body: ByteBuffer) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }

    var isPersistent: Bool { properties.deliveryMode == 2 }
    var bodySize: Int { body.readableBytes }

    /// The routing keys RabbitMQ records in x-death: the key plus any `CC` header entries.
    var routingKeys: [String] {
        var keys = [routingKey]
        if case .array(let cc)? = properties.headers?["CC"] {
            keys += cc.compactMap(\.stringValue)
        }
        return keys
    }

    /// Per-message TTL from the `expiration` property, in milliseconds, if it is a valid number.
    var expirationMilliseconds: Int64? {
        guard let text = properties.expiration else { return nil }
        return Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// A message's place in one queue.
struct QueueEntry {
    let message: Message
    /// Position in the queue; requeued messages go back in this order.
    var sequence: UInt64
    var redelivered = false
    /// Deliveries so far (quorum queues count these for x-delivery-limit).
    var deliveryCount: Int64 = 0
    /// When the message expires in this queue, from x-message-ttl or its expiration property.
    var expiresAt: NIODeadline?
}
