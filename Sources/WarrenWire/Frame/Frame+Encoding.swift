import NIOCore

extension ByteBuffer {
    /// Writes a frame's type, channel and a size placeholder; returns where the size goes.
    @inlinable
    mutating func beginFrame(type: UInt8, channel: UInt16) -> Int {
        writeMultipleIntegers(type, channel)
        let sizeIndex = writerIndex
        writeInteger(UInt32(0))
        return sizeIndex
    }

    /// Sets the size of a frame begun at `sizeIndex` and writes the frame-end octet.
    @inlinable
    mutating func endFrame(sizeIndex: Int) {
        setInteger(UInt32(truncatingIfNeeded: writerIndex - sizeIndex - 4), at: sizeIndex)
        writeInteger(FrameConstants.end)
    }

    /// Writes one whole frame. If encoding fails, nothing is written.
    @inlinable
    public mutating func writeFrame(_ frame: Frame) throws(AMQPWireError) {
        let start = writerIndex
        switch frame {
        case .method(let channel, let method):
            let sizeIndex = beginFrame(type: FrameConstants.method, channel: channel)
            do {
                try method.encode(into: &self)
            } catch {
                moveWriterIndex(to: start)
                throw error
            }
            endFrame(sizeIndex: sizeIndex)
        case .header(let channel, let header):
            let sizeIndex = beginFrame(type: FrameConstants.header, channel: channel)
            do {
                try header.encode(into: &self)
            } catch {
                moveWriterIndex(to: start)
                throw error
            }
            endFrame(sizeIndex: sizeIndex)
        case .body(let channel, let body):
            writeMultipleIntegers(FrameConstants.body, channel, UInt32(truncatingIfNeeded: body.readableBytes))
            writeImmutableBuffer(body)
            writeInteger(FrameConstants.end)
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
        let sizeIndex = beginFrame(type: FrameConstants.method, channel: channel)
        writeMultipleIntegers(Method.classID, Method.methodID)
        do {
            try method.encode(into: &self)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        endFrame(sizeIndex: sizeIndex)
    }

    /// Writes a content header frame and as many body frames as `frameMax` requires.
    ///
    /// A body of `frameMax - 8` bytes or less goes in one body frame; an empty body in none.
    @inlinable
    public mutating func writeContent(
        channel: UInt16, classID: UInt16 = BasicProperties.classID, properties: BasicProperties,
        body: ByteBuffer, frameMax: UInt32
    ) throws(AMQPWireError) {
        let start = writerIndex
        let sizeIndex = beginFrame(type: FrameConstants.header, channel: channel)
        writeMultipleIntegers(classID, UInt16(0), UInt64(body.readableBytes))
        do {
            try properties.encode(into: &self)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        endFrame(sizeIndex: sizeIndex)
        let effective = FrameConstants.effectiveFrameMax(frameMax)
        let limit = effective == 0 ? Int(UInt32.max) : Int(effective) - FrameConstants.overhead
        var remaining = body
        while remaining.readableBytes > 0 {
            let chunk = remaining.readSlice(length: Swift.min(limit, remaining.readableBytes))!
            writeMultipleIntegers(FrameConstants.body, channel, UInt32(truncatingIfNeeded: chunk.readableBytes))
            writeImmutableBuffer(chunk)
            writeInteger(FrameConstants.end)
        }
    }

    /// Writes a `basic.publish` method frame followed by its content: the publish path in one call.
    @inlinable
    public mutating func writePublish(
        channel: UInt16, _ publish: BasicPublish, properties: BasicProperties, body: ByteBuffer, frameMax: UInt32
    ) throws(AMQPWireError) {
        let start = writerIndex
        do {
            try writeMethodFrame(channel: channel, publish)
            try writeContent(channel: channel, properties: properties, body: body, frameMax: frameMax)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
    }

    /// Writes a heartbeat frame: type 8, channel 0, size 0, frame end.
    @inlinable
    public mutating func writeHeartbeatFrame() {
        writeMultipleIntegers(FrameConstants.heartbeat, UInt16(0), UInt32(0), FrameConstants.end)
    }
}
