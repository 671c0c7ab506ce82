import NIOCore
import WarrenWire

/// A message store record's payload: the store's id for the message, then everything needed to
/// rebuild the ``Message`` (exchange, routing key and routes, properties, body).
///
///     id: UInt64  exchange, routing key: u32-prefixed UTF-8  routes: u32 count, each u32-prefixed
///     header: u32-prefixed AMQP content header (the properties)  body: the rest
enum StoredMessage {
    static func encode(id: UInt64, _ message: Message, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.bodySize + 128)
        buffer.writeInteger(id)
        writeString(message.exchange, into: &buffer)
        writeString(message.routingKey, into: &buffer)
        buffer.writeInteger(UInt32(message.routes.count))
        for route in message.routes { writeString(route, into: &buffer) }
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        // Properties came off the wire, so they encode; if not, the message is stored without them.
        try? ContentHeader(bodySize: UInt64(message.bodySize), properties: message.properties).encode(into: &buffer)
        buffer.setInteger(UInt32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
        message.withBody { _ = buffer.writeBytes($0) }
        return buffer
    }

    /// The id alone, without decoding the rest.
    static func id(of payload: ByteBuffer) -> UInt64? {
        payload.getInteger(at: payload.readerIndex, as: UInt64.self)
    }

    static func decode(_ payload: ByteBuffer) -> (id: UInt64, message: Message)? {
        var buffer = payload
        guard let id = buffer.readInteger(as: UInt64.self),
              let exchange = readString(&buffer), let routingKey = readString(&buffer),
              let routeCount = buffer.readInteger(as: UInt32.self)
        else { return nil }
        var routes: [String] = []
        for _ in 0..<routeCount {
            guard let route = readString(&buffer) else { return nil }
            routes.append(route)
        }
        guard let headerLength = buffer.readInteger(as: UInt32.self),
              var header = buffer.readSlice(length: Int(headerLength)),
              let properties = headerLength == 0 ? BasicProperties() : try? ContentHeader.decode(from: &header).properties
        else { return nil }
        let message = Message.make(exchange: exchange, routingKey: routingKey, properties: properties, body: buffer,
                              routes: routes)
        return (id, message)
    }

    private static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let length = buffer.writeString(string)
        buffer.setInteger(UInt32(length), at: lengthIndex)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let length = buffer.readInteger(as: UInt32.self) else { return nil }
        return buffer.readString(length: Int(length))
    }
}
