import NIOCore
import WarrenWire

/// A published message. One instance is shared by every queue it was routed to; dead lettering
/// makes a new one with new headers.
final class Message {
    let exchange: String
    let routingKey: String
    let properties: BasicProperties
    private(set) var body: ByteBuffer
    /// Every key the message is routed by: the routing key, then the CC and BCC keys it was
    /// published with (the BCC header itself is gone). Dead lettering without a dead-letter
    /// routing key routes by these again.
    var routes: [String] { extraRoutes ?? [routingKey] }
    /// `routes` when it is more than the routing key: most messages need no array of their own
    /// while they sit in a queue.
    private let extraRoutes: [String]?
    /// The message store's id for the copy on disk, once a durable queue has stored it.
    var storeID: UInt64?
    /// The paging store's id for a copy paged out of RAM, so other queues paging it share it.
    var pagedID: UInt64?

    init(exchange: String, routingKey: String, properties: BasicProperties, body: ByteBuffer, routes: [String]? = nil) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
        extraRoutes = routes == [routingKey] ? nil : routes
    }

    /// A message as published: sender-selected distribution adds the string entries of the `CC`
    /// and `BCC` array headers as routing keys and removes `BCC`, as RabbitMQ does; a CC or BCC
    /// header that is not an array makes the message invalid (406).
    static func published(exchange: String, routingKey: String, properties: BasicProperties,
                          body: ByteBuffer) throws(BrokerError) -> Message {
        guard let headers = properties.headers, headers["CC"] != nil || headers["BCC"] != nil else {
            return Message(exchange: exchange, routingKey: routingKey, properties: properties, body: body)
        }
        var routes = [routingKey]
        for name in ["CC", "BCC"] {
            guard let value = headers[name] else { continue }
            guard case .array(let keys) = value else {
                throw .precondition("invalid message: {unacceptable_type_in_header,\"\(name)\","
                    + "\(ArgumentEquivalence.typeName(value))}")
            }
            routes += keys.compactMap(\.stringValue)
        }
        var stripped = properties
        if headers["BCC"] != nil {
            stripped.headers = FieldTable(headers.entries.filter { $0.0 != "BCC" })
        }
        return Message(exchange: exchange, routingKey: routingKey, properties: stripped, body: body, routes: routes)
    }

    var isPersistent: Bool { properties.deliveryMode == 2 }

    /// A body decoded from a socket read is a view into that read's whole buffer (tens of KiB
    /// holding many frames), and a queued message keeps the whole buffer alive: 256 MiB of 4 KiB
    /// messages held 2-3 times their size in RAM that way. A queue copies the body out before it
    /// keeps the message, so the message holds only its own bytes and the pager's count is true.
    func compactBody() {
        guard body.storageCapacity > body.readableBytes * 2 + 256 else { return }
        var copy = ByteBufferAllocator().buffer(capacity: body.readableBytes)
        copy.writeImmutableBuffer(body)
        body = copy
    }
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
