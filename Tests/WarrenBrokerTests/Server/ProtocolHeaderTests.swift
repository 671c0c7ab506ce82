import NIOCore
import Testing
import WarrenBroker
import WarrenWire

/// What a client that does not speak AMQP 0-9-1 gets: AMQP says the server answers with the
/// protocol header it does speak, then closes the socket.
@Suite struct ProtocolHeaderTests {
    static let amqp091: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]

    private func expectHeaderThenClose(after bytes: [UInt8]) async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(bytes)
            let answer = try await raw.waitUntilClosed()
            #expect(answer == Self.amqp091)
        }
    }

    @Test func garbageInsteadOfTheHeader() async throws {
        try await expectHeaderThenClose(after: [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE])
    }

    @Test func amqp090Header() async throws {
        try await expectHeaderThenClose(after: Array("AMQP".utf8) + [0, 0, 9, 0])
    }

    @Test func amqp10Header() async throws {
        try await expectHeaderThenClose(after: Array("AMQP".utf8) + [0, 1, 0, 0])
    }

    @Test func httpRequest() async throws {
        try await expectHeaderThenClose(after: Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
    }

    @Test func httpVersionLine() async throws {
        try await expectHeaderThenClose(after: Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
    }

    /// The header arriving one byte at a time is still a header.
    @Test func headerInSingleBytes() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            for byte in ProtocolHeader.bytes {
                try await raw.write([byte])
                try await Task.sleep(for: .milliseconds(5))
            }
            guard case .connectionStart(let start)? = try await raw.nextMethod() else {
                Issue.record("no connection.start")
                return
            }
            #expect(start.versionMajor == 0 && start.versionMinor == 9)
            await raw.abort()
        }
    }

    /// A correct header followed by garbage is a frame error, not a header error.
    @Test func garbageAfterTheHeader() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(ProtocolHeader.bytes)
            try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
            // Type 0x47 ('G'), then bytes that claim a payload that fits and ends wrong.
            try await raw.write(RawAMQPConnection.frame(type: 0x47, channel: 0, payload: [1, 2, 3], end: 0x00))
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == ReplyCode.frameError.rawValue)
            #expect(close.replyText.hasPrefix("FRAME_ERROR - "))
        }
    }
}
