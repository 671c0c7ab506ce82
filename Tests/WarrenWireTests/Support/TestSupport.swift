import NIOCore
import Testing

@testable import WarrenWire

// Small helpers shared by the WarrenWire tests: building byte sequences by hand and running
// the encoders and decoders over them.

extension ByteBuffer {
    /// The readable bytes, as an array.
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// Big-endian bytes of an integer.
func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// A short string as it appears on the wire: length octet, then UTF-8.
func shortString(_ string: String) -> [UInt8] {
    precondition(string.utf8.count <= 255)
    return [UInt8(string.utf8.count)] + Array(string.utf8)
}

/// A long string or any other 32-bit length-prefixed block.
func longBlock(_ bytes: [UInt8]) -> [UInt8] {
    be(UInt32(bytes.count)) + bytes
}

/// A whole frame built by hand.
func rawFrame(type: UInt8, channel: UInt16, payload: [UInt8], end: UInt8 = 0xCE) -> [UInt8] {
    [type] + be(channel) + be(UInt32(payload.count)) + payload + [end]
}

/// A method frame payload built by hand: class id, method id, arguments.
func methodPayload(classID: UInt16, methodID: UInt16, arguments: [UInt8]) -> [UInt8] {
    be(classID) + be(methodID) + arguments
}

/// Encodes one frame with `writeFrame`.
func encode(_ frame: Frame) throws(AMQPWireError) -> ByteBuffer {
    var buffer = ByteBuffer()
    try buffer.writeFrame(frame)
    return buffer
}

/// The method frame payload (ids and arguments) of a method.
func encodedPayload(_ method: AMQPMethod) throws(AMQPWireError) -> [UInt8] {
    var buffer = ByteBuffer()
    try method.encode(into: &buffer)
    return buffer.bytes
}

/// Decodes every frame in `bytes`, expecting no bytes to be left over.
func decodeAll(_ bytes: ByteBuffer, frameMax: UInt32 = FrameConstants.defaultFrameMax) throws(AMQPWireError) -> [Frame] {
    var buffer = bytes
    let decoder = FrameDecoder(frameMax: frameMax)
    var frames: [Frame] = []
    while let frame = try decoder.decodeFrame(from: &buffer) {
        frames.append(frame)
    }
    #expect(buffer.readableBytes == 0, "bytes left after the last whole frame")
    return frames
}

/// Decodes the bytes of exactly one frame.
func decodeOne(_ bytes: [UInt8], frameMax: UInt32 = FrameConstants.defaultFrameMax) throws(AMQPWireError) -> Frame? {
    var buffer = ByteBuffer(bytes: bytes)
    return try FrameDecoder(frameMax: frameMax).decodeFrame(from: &buffer)
}

/// Runs `body` and returns the `AMQPWireError` it throws, or records an issue and returns nil.
func wireError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(AMQPWireError) -> R
) -> AMQPWireError? {
    do {
        let result = try body()
        Issue.record("expected an AMQPWireError, got \(result)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A string of exactly `byteCount` UTF-8 bytes that starts with `prefix` and contains multi-byte
/// characters, so a length that counts characters instead of bytes is caught.
func utf8String(prefix: String, byteCount: Int) -> String {
    var result = prefix
    let filler: [Character] = ["é", "日", "🐇", "ß"]
    var index = 0
    while true {
        let next = filler[index % filler.count]
        if result.utf8.count + String(next).utf8.count > byteCount { break }
        result.append(next)
        index += 1
    }
    while result.utf8.count < byteCount { result.append("x") }
    precondition(result.utf8.count == byteCount)
    return result
}
