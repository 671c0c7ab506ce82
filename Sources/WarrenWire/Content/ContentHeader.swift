import NIOCore

/// The payload of a content header frame: which class the content belongs to, the size of the
/// body that follows in body frames, and the message's properties.
public struct ContentHeader: Sendable, Hashable {
    public var classID: UInt16
    /// Unused by AMQP 0-9-1; always 0 on the wire.
    public var weight: UInt16
    public var bodySize: UInt64
    public var properties: BasicProperties

    @inlinable
    public init(classID: UInt16 = BasicProperties.classID, weight: UInt16 = 0, bodySize: UInt64,
                properties: BasicProperties = BasicProperties()) {
        self.classID = classID
        self.weight = weight
        self.bodySize = bodySize
        self.properties = properties
    }

    /// Decodes a header frame's payload.
    @inlinable
    public static func decode(from payload: inout ByteBuffer) throws(AMQPWireError) -> ContentHeader {
        try payload.readWithAMQPReader { (reader) throws(AMQPWireError) in try decode(from: &reader) }
    }

    /// Decodes a header frame's payload read in one access to the buffer (see ``AMQPReader``).
    @inlinable
    static func decode(from payload: inout AMQPReader) throws(AMQPWireError) -> ContentHeader {
        guard payload.remaining >= 12 else { throw .malformedContentHeader(reason: "truncated header") }
        let classID = payload.readInteger(as: UInt16.self)!
        let weight = payload.readInteger(as: UInt16.self)!
        let bodySize = payload.readInteger(as: UInt64.self)!
        let properties = try BasicProperties.decode(from: &payload)
        guard payload.remaining == 0 else {
            throw .malformedContentHeader(reason: "\(payload.remaining) trailing bytes")
        }
        return ContentHeader(classID: classID, weight: weight, bodySize: bodySize, properties: properties)
    }

    /// Encodes a header frame's payload, or leaves the buffer untouched if a short string is too long.
    @inlinable
    public func encode(into buffer: inout ByteBuffer) throws(AMQPWireError) {
        let size = try encodedSize()
        buffer.writeAMQP(size: size) { encode(to: &$0) }
    }

    /// The exact size of the payload; refuses short strings over 255 bytes.
    @inlinable
    func encodedSize() throws(AMQPWireError) -> Int {
        12 + (try properties.encodedSize())
    }

    /// Writes the payload sized by `encodedSize()`.
    @inlinable
    func encode(to writer: inout AMQPWriter) {
        writer.writeInteger(classID)
        writer.writeInteger(weight)
        writer.writeInteger(bodySize)
        properties.encode(to: &writer)
    }
}

extension BasicProperties {
    /// Reads the property-flag words: bit 15 of the first word is the first property, and bit 0 of
    /// each word says another word follows. Flags past the fourteenth property must be clear.
    @inlinable
    static func readPropertyFlags(from payload: inout AMQPReader) throws(AMQPWireError) -> UInt16 {
        guard let first = payload.readInteger(as: UInt16.self) else {
            throw .malformedContentHeader(reason: "truncated property flags")
        }
        var word = first
        while word & 1 == 1 {
            guard let next = payload.readInteger(as: UInt16.self) else {
                throw .malformedContentHeader(reason: "truncated property flags")
            }
            guard next & 0xFFFE == 0 else { throw .malformedContentHeader(reason: "unknown property flags") }
            word = next
        }
        guard first & 0b10 == 0 else { throw .malformedContentHeader(reason: "unknown property flags") }
        return first & 0xFFFC
    }
}
