import NIOCore

extension ByteBuffer {
    /// Sets the size of a frame begun at `sizeIndex` and writes the frame-end octet.
    @inlinable
    mutating func endFrame(sizeIndex: Int) {
        setInteger(UInt32(truncatingIfNeeded: writerIndex - sizeIndex - 4), at: sizeIndex)
        writeInteger(FrameConstants.end)
    }

    /// Writes one whole frame, or leaves the buffer untouched if a short string is too long.
    @inlinable
    public mutating func writeFrame(_ frame: Frame) throws(AMQPWireError) {
        switch frame {
        case .method(let channel, let method):
            let size = try method.encodedSize()
            writeAMQP(size: size + FrameConstants.overhead) { writer in
                writer.writeFrameStart(type: FrameConstants.method, channel: channel, size: size)
                method.encode(to: &writer)
                writer.writeInteger(FrameConstants.end)
            }
        case .header(let channel, let header):
            let size = try header.encodedSize()
            writeAMQP(size: size + FrameConstants.overhead) { writer in
                writer.writeFrameStart(type: FrameConstants.header, channel: channel, size: size)
                header.encode(to: &writer)
                writer.writeInteger(FrameConstants.end)
            }
        case .body(let channel, let body):
            writeAMQP(size: body.readableBytes + FrameConstants.overhead) { writer in
                writer.writeFrameStart(type: FrameConstants.body, channel: channel, size: body.readableBytes)
                writer.writeBuffer(body)
                writer.writeInteger(FrameConstants.end)
            }
        case .heartbeat:
            writeHeartbeatFrame()
        }
    }

    /// Writes a method frame without wrapping the arguments in ``AMQPMethod``.
    @inlinable
    public mutating func writeMethodFrame<Method: AMQPMethodArguments>(
        channel: UInt16, _ method: Method
    ) throws(AMQPWireError) {
        let start = writerIndex
        writeMultipleIntegers(FrameConstants.method, channel, UInt32(0), Method.classID, Method.methodID)
        do {
            try method.encode(into: &self)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        endFrame(sizeIndex: start + 3)
    }

    /// Writes a content header frame and as many body frames as `frameMax` requires.
    ///
    /// A body of `frameMax - 8` bytes or less goes in one body frame; an empty body in none.
    /// Nothing is written if a property's short string is too long.
    @inlinable
    public mutating func writeContent(
        channel: UInt16, classID: UInt16 = BasicProperties.classID, properties: BasicProperties,
        body: ByteBuffer, frameMax: UInt32
    ) throws(AMQPWireError) {
        try body.withUnsafeReadableBytes { (bodyBytes) throws(AMQPWireError) in
            try writeContent(channel: channel, classID: classID, properties: properties, bodyBytes: bodyBytes,
                             frameMax: frameMax)
        }
    }

    /// ``writeContent(channel:classID:properties:body:frameMax:)`` for a body that is not in a
    /// `ByteBuffer`.
    @inlinable
    public mutating func writeContent(
        channel: UInt16, classID: UInt16 = BasicProperties.classID, properties: BasicProperties,
        bodyBytes: UnsafeRawBufferPointer, frameMax: UInt32
    ) throws(AMQPWireError) {
        let propertiesSize = try properties.encodedSize()
        let bodyChunk = ByteBuffer.bodyChunkSize(frameMax: frameMax)
        let size = ByteBuffer.contentSize(propertiesSize: propertiesSize, bodySize: bodyBytes.count, bodyChunk: bodyChunk)
        writeAMQP(size: size) { writer in
            writer.writeContent(
                channel: channel, classID: classID, properties: properties, propertiesSize: propertiesSize,
                body: bodyBytes, bodyChunk: bodyChunk)
        }
    }

    /// Writes a `basic.publish` method frame followed by its content: the publish path in one call.
    ///
    /// Nothing is written if a short string is too long, or if the method or content header frame
    /// would not fit in `frameMax` as the specification counts it: a sender stays within
    /// `frameMax - 8` octets of payload, although brokers read up to `frameMax` (see ``FrameDecoder``).
    @inlinable
    public mutating func writePublish(
        channel: UInt16, _ publish: BasicPublish, properties: BasicProperties, body: ByteBuffer, frameMax: UInt32
    ) throws(AMQPWireError) {
        let argumentsSize = try publish.encodedSize()
        let propertiesSize = try properties.encodedSize()
        let bodyChunk = ByteBuffer.bodyChunkSize(frameMax: frameMax)
        let methodSize = 4 + argumentsSize
        if methodSize > bodyChunk {
            throw .frameTooLarge(type: FrameConstants.method, size: UInt32(clamping: methodSize),
                                 maximum: UInt32(clamping: bodyChunk))
        }
        if 12 + propertiesSize > bodyChunk {
            throw .frameTooLarge(type: FrameConstants.header, size: UInt32(clamping: 12 + propertiesSize),
                                 maximum: UInt32(clamping: bodyChunk))
        }
        let size = methodSize + FrameConstants.overhead
            + ByteBuffer.contentSize(propertiesSize: propertiesSize, bodySize: body.readableBytes, bodyChunk: bodyChunk)
        body.withUnsafeReadableBytes { bodyBytes in
            writeAMQP(size: size) { writer in
                writer.writeFrameStart(type: FrameConstants.method, channel: channel, size: methodSize)
                writer.writeInteger(BasicPublish.classID)
                writer.writeInteger(BasicPublish.methodID)
                publish.encode(to: &writer)
                writer.writeInteger(FrameConstants.end)
                writer.writeContent(
                    channel: channel, classID: BasicProperties.classID, properties: properties,
                    propertiesSize: propertiesSize, body: bodyBytes, bodyChunk: bodyChunk)
            }
        }
    }

    /// The most body bytes one body frame may carry under `frameMax` (0: no limit but the size
    /// field; below the AMQP minimum: the minimum, see ``FrameConstants/effectiveFrameMax(_:)``).
    @inlinable
    static func bodyChunkSize(frameMax: UInt32) -> Int {
        let effective = FrameConstants.effectiveFrameMax(frameMax)
        return effective == 0 ? Int(UInt32.max) : Int(effective) - FrameConstants.overhead
    }

    /// The size of a content header frame with `propertiesSize` bytes of properties, and of the body frames after it.
    @inlinable
    static func contentSize(propertiesSize: Int, bodySize: Int, bodyChunk: Int) -> Int {
        let bodyFrames = bodySize == 0 ? 0 : 1 + (bodySize - 1) / bodyChunk
        return 12 + propertiesSize + FrameConstants.overhead + bodySize + bodyFrames * FrameConstants.overhead
    }

    /// Writes a heartbeat frame: type 8, channel 0, size 0, frame end.
    @inlinable
    public mutating func writeHeartbeatFrame() {
        writeMultipleIntegers(FrameConstants.heartbeat, UInt16(0), UInt32(0), FrameConstants.end)
    }
}

extension AMQPWriter {
    /// A frame's type, channel and payload size.
    @inlinable
    mutating func writeFrameStart(type: UInt8, channel: UInt16, size: Int) {
        writeInteger(type)
        writeInteger(channel)
        writeInteger(UInt32(truncatingIfNeeded: size))
    }

    /// A content header frame and the body frames after it, sized by `ByteBuffer.contentSize`.
    @inlinable
    mutating func writeContent(
        channel: UInt16, classID: UInt16, properties: BasicProperties, propertiesSize: Int,
        body: UnsafeRawBufferPointer, bodyChunk: Int
    ) {
        writeFrameStart(type: FrameConstants.header, channel: channel, size: 12 + propertiesSize)
        writeInteger(classID)
        writeInteger(UInt16(0))
        writeInteger(UInt64(body.count))
        properties.encode(to: &self)
        writeInteger(FrameConstants.end)
        var start = 0
        while start < body.count {
            let count = Swift.min(bodyChunk, body.count - start)
            writeFrameStart(type: FrameConstants.body, channel: channel, size: count)
            writeBytes(UnsafeRawBufferPointer(rebasing: body[start..<(start + count)]))
            writeInteger(FrameConstants.end)
            start += count
        }
    }
}
