import Testing

@testable import WarrenWire

@Suite("ProtocolHeader")
struct ProtocolHeaderTests {
    @Test func acceptsAMQP0091() throws {
        #expect(ProtocolHeader.bytes == [0x41, 0x4D, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01])
        try ProtocolHeader.validate(Array("AMQP".utf8) + [0, 0, 9, 1])
        try ProtocolHeader.validate(ProtocolHeader.bytes[...])
    }

    @Test(arguments: [
        Array("AMQP".utf8) + [0, 0, 9, 0],  // 0-9-0
        Array("AMQP".utf8) + [1, 1, 0, 9],  // 0-9 in the old layout
        Array("AMQP".utf8) + [0, 1, 0, 0],  // AMQP 1.0
        Array("AMQP".utf8) + [3, 1, 0, 0],  // AMQP 1.0 SASL
        Array("HTTP/1.1".utf8),
        Array("GET / HT".utf8),
        Array("amqp".utf8) + [0, 0, 9, 1],
        Array("AMQP".utf8),  // too short
        [],
        Array("AMQP".utf8) + [0, 0, 9, 1, 0],  // too long
    ])
    func rejectsAnythingElse(received: [UInt8]) {
        let error = wireError { () throws(AMQPWireError) in try ProtocolHeader.validate(received) }
        #expect(error == .badProtocolHeader(received))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText == "FRAME_ERROR - bad protocol header")
    }
}
