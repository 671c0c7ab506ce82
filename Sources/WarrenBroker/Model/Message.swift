import NIOCore
import WarrenWire

/// What a ``Message`` holds besides its body.
struct MessageFields {
    let exchange: String
    let routingKey: String
    let properties: BasicProperties
    /// `routes` when it is more than the routing key: most messages need no array of their own
    /// while they sit in a queue.
    let extraRoutes: [String]?
    /// 0: none (both stores count their ids from 1).
    var storeID: UInt64 = 0
    var pagedID: UInt64 = 0
    /// A large body that already has a buffer of its own (one assembled from several frames)
    /// stays in it rather than being copied again; nil for bodies stored after the fields.
    let largeBody: LargeBody?
    /// At most 512 MiB (RabbitMQ's largest max_message_size). Last, so the body's bytes follow
    /// without padding.
    let bodySize: UInt32
}

/// A body kept in its own buffer (see ``MessageFields/largeBody``).
final class LargeBody {
    let buffer: ByteBuffer

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Bodies at least this large in a buffer at most twice their size are kept in it.
    static let threshold = 64 * 1024
}

/// A published message. One instance is shared by every queue it was routed to; dead lettering
/// makes a new one with new headers.
///
/// The body's bytes are allocated with the object, after its fields: one allocation per message
/// rather than three (the object, a `ByteBuffer`'s storage object and its bytes), and never a
/// view that keeps the socket read buffer it was decoded from alive. A queued 64-byte message
/// costs about 150 bytes of RAM this way, where the three allocations took about 300. Bodies of
/// 64 KiB and more that already have a buffer of their own keep it (``LargeBody``): copying a
/// 100 MiB body would double the memory it takes while it is published.
final class Message: ManagedBuffer<MessageFields, UInt8> {
    var exchange: String { header.exchange }
    var routingKey: String { header.routingKey }
    var properties: BasicProperties { header.properties }
    var bodySize: Int { Int(header.bodySize) }
    /// Every key the message is routed by: the routing key, then the CC and BCC keys it was
    /// published with (the BCC header itself is gone). Dead lettering without a dead-letter
    /// routing key routes by these again.
    var routes: [String] { header.extraRoutes ?? [header.routingKey] }
    /// The message store's id for the copy on disk, once a durable queue has stored it.
    var storeID: UInt64? {
        get { header.storeID == 0 ? nil : header.storeID }
        set { header.storeID = newValue ?? 0 }
    }
    /// The paging store's id for a copy paged out of RAM, so other queues paging it share it.
    var pagedID: UInt64? {
        get { header.pagedID == 0 ? nil : header.pagedID }
        set { header.pagedID = newValue ?? 0 }
    }

    /// A message with `body`'s readable bytes: copied after the fields, or for a large body that
    /// fills its own buffer, that buffer.
    static func make(exchange: String, routingKey: String, properties: BasicProperties, body: ByteBuffer,
                     routes: [String]? = nil) -> Message {
        let size = body.readableBytes
        // Buffers grow by powers of two, so one holding only this body is at most twice its size.
        if size >= LargeBody.threshold && body.storageCapacity <= 2 * size {
            return make(exchange: exchange, routingKey: routingKey, properties: properties,
                        bodyBytes: UnsafeRawBufferPointer(start: nil, count: 0), routes: routes,
                        large: LargeBody(body))
        }
        return body.withUnsafeReadableBytes { bytes in
            make(exchange: exchange, routingKey: routingKey, properties: properties, bodyBytes: bytes, routes: routes)
        }
    }

    static func make(exchange: String, routingKey: String, properties: BasicProperties,
                     bodyBytes: UnsafeRawBufferPointer, routes: [String]? = nil, large: LargeBody? = nil) -> Message {
        let fields = MessageFields(exchange: exchange, routingKey: routingKey, properties: properties,
                                   extraRoutes: routes == nil || routes! == [routingKey] ? nil : routes,
                                   largeBody: large, bodySize: UInt32(large?.buffer.readableBytes ?? bodyBytes.count))
        let buffer = create(minimumCapacity: bodyBytes.count) { _ in fields }
        buffer.withUnsafeMutablePointerToElements { elements in
            if let base = bodyBytes.baseAddress {
                UnsafeMutableRawPointer(elements).copyMemory(from: base, byteCount: bodyBytes.count)
            }
        }
        // `create` called on this class allocates an instance of it.
        return unsafeDowncast(buffer, to: Message.self)
    }

    /// The body's bytes, for as long as `body` runs.
    func withBody<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let large = header.largeBody { return try large.buffer.withUnsafeReadableBytes(body) }
        return try withUnsafeMutablePointerToElements { elements in
            try body(UnsafeRawBufferPointer(start: elements, count: Int(header.bodySize)))
        }
    }

    /// A new message with this one's body (shared if it is a large one, copied otherwise).
    func withNewHeader(exchange: String, routingKey: String, properties: BasicProperties, routes: [String]) -> Message {
        if let large = header.largeBody {
            return Message.make(exchange: exchange, routingKey: routingKey, properties: properties,
                                bodyBytes: UnsafeRawBufferPointer(start: nil, count: 0), routes: routes, large: large)
        }
        return withBody { body in
            Message.make(exchange: exchange, routingKey: routingKey, properties: properties, bodyBytes: body, routes: routes)
        }
    }

    /// The body in a buffer (a copy, but for a large body; for the paths that are not per message).
    var body: ByteBuffer {
        if let large = header.largeBody { return large.buffer }
        return withBody { ByteBuffer(bytes: $0) }
    }

    /// A message as published: sender-selected distribution adds the string entries of the `CC`
    /// and `BCC` array headers as routing keys and removes `BCC`, as RabbitMQ does; a CC or BCC
    /// header that is not an array makes the message invalid (406).
    static func published(exchange: String, routingKey: String, properties: BasicProperties,
                          body: ByteBuffer) throws(BrokerError) -> Message {
        guard let headers = properties.headers, headers["CC"] != nil || headers["BCC"] != nil else {
            return Message.make(exchange: exchange, routingKey: routingKey, properties: properties, body: body)
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
        return Message.make(exchange: exchange, routingKey: routingKey, properties: stripped, body: body, routes: routes)
    }

    var isPersistent: Bool { properties.deliveryMode == 2 }

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
