import NIOCore
import Testing
import WarrenBroker
import WarrenWire

/// How connections start and end, as RabbitMQ does it: a client that does not finish the
/// handshake in time is dropped, and after a client's connection.close the broker answers and
/// leaves closing the socket to the client.
@Suite struct ConnectionLifecycleTests {
    static func configuration(handshakeTimeout: TimeAmount) -> BrokerConfiguration {
        var configuration = BrokerConfiguration(amqpPort: 0)
        configuration.handshakeTimeout = handshakeTimeout
        return configuration
    }

    @Test func silentClientIsDroppedAfterTheHandshakeTimeout() async throws {
        try await withHealthyBroker(Self.configuration(handshakeTimeout: .seconds(3))) { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            let left = try await raw.waitUntilClosed(timeout: .seconds(20))
            #expect(left.isEmpty, "the broker wrote \(left.count) bytes to a client that sent nothing")
        }
    }

    /// 8 s: under the full suite's load (100,000-message replays beside it) connection.start once
    /// took more than 3 s to reach the test, and the broker had rightly dropped it by then.
    @Test func clientStuckInTheHandshakeIsDropped() async throws {
        try await withHealthyBroker(Self.configuration(handshakeTimeout: .seconds(8))) { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(ProtocolHeader.bytes)
            try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
            try await raw.waitUntilClosed(timeout: .seconds(20))
        }
    }

    @Test func openConnectionOutlivesTheHandshakeTimeout() async throws {
        try await withHealthyBroker(Self.configuration(handshakeTimeout: .seconds(3))) { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await Task.sleep(for: .milliseconds(3500))
            #expect(try await raw.isClosed == false)
            try await raw.openChannel(1)
        }
    }

    /// A client that reads close-ok after the broker closed the socket sees EOF first and reports
    /// an error (amqp091-go does), so the broker waits for the client to close.
    @Test func afterClientCloseTheClientClosesTheSocket() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await raw.openChannel(1)
            try await raw.send(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0))
            try await raw.expect("connection.close-ok") { if case .connectionCloseOk = $0 { true } else { false } }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await raw.isClosed == false, "the broker closed the socket right after close-ok")
            // Frames after close-ok are ignored, not answered (reading times out).
            try await raw.send(ChannelOpen(), channel: 2)
            await #expect(throws: RawAMQPConnection.Failure.self) { try await raw.nextFrame(timeout: .milliseconds(300)) }
            await raw.abort()
        }
    }

    /// ...but not for ever: after the heartbeat interval (at most 30 s) it closes the socket itself.
    @Test func afterClientCloseTheSocketIsClosedAfterTheHeartbeatInterval() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, heartbeat: 1)
            try await raw.send(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0))
            try await raw.expect("connection.close-ok") { if case .connectionCloseOk = $0 { true } else { false } }
            try await raw.waitUntilClosed(timeout: .seconds(20))
        }
    }
}
