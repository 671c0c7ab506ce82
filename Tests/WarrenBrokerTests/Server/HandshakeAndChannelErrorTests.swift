import NIOCore
import Testing
import WarrenBroker
import WarrenWire

/// Refusals during the handshake and misuse of channel ids, over a raw connection, each with a
/// healthy client next to it.
@Suite struct HandshakeAndChannelErrorTests {
    @Test func methodOnAChannelThatWasNeverOpened() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await raw.send(QueueDeclare(queue: "q"), channel: 5)
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 504)
            #expect(close.replyText == "CHANNEL_ERROR - expected 'channel.open'")
            #expect(close.classID == 50 && close.methodID == 10)
        }
    }

    @Test func channelOpenTwice() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await raw.openChannel(1)
            try await raw.send(ChannelOpen(), channel: 1)
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 504)
            #expect(close.replyText.hasPrefix("CHANNEL_ERROR - "))
            #expect(close.classID == 20 && close.methodID == 10)
        }
    }

    @Test func channelCanBeReopenedAfterClose() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await raw.openChannel(1)
            try await raw.send(ChannelClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0), channel: 1)
            try await raw.expect("channel.close-ok") { if case .channelCloseOk = $0 { true } else { false } }
            try await raw.openChannel(1)
            await raw.abort()
        }
    }

    @Test func tuneOkFrameMaxBelowTheMinimum() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            let tune = try await raw.login()
            try await raw.send(ConnectionTuneOk(channelMax: tune.channelMax, frameMax: 1024, heartbeat: 0))
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 530)
            #expect(close.replyText
                == "NOT_ALLOWED - negotiated frame_max = 1024 is lower than the minimum allowed value (4096)")
            #expect(close.classID == 10 && close.methodID == 31)
        }
    }

    @Test func tuneOkFrameMaxAboveTheServers() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            let tune = try await raw.login()
            try await raw.send(ConnectionTuneOk(channelMax: tune.channelMax, frameMax: tune.frameMax + 1, heartbeat: 0))
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 530)
            #expect(close.replyText.contains("is higher than the maximum allowed value (\(tune.frameMax))"))
        }
    }

    @Test func wrongPasswordWithAuthenticationFailureClose() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(ProtocolHeader.bytes)
            try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
            try await raw.send(ConnectionStartOk(
                clientProperties: ["capabilities": .table(["authentication_failure_close": true])],
                response: ByteBuffer(bytes: [0] + Array("guest".utf8) + [0] + Array("wrong".utf8))))
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 403)
            #expect(close.replyText.hasPrefix("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"))
            #expect(close.classID == 10 && close.methodID == 11)
        }
    }

    @Test func wrongPasswordWithoutTheCapabilityDropsTheSocket() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(ProtocolHeader.bytes)
            try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
            try await raw.send(ConnectionStartOk(
                clientProperties: [:], response: ByteBuffer(bytes: [0] + Array("guest".utf8) + [0] + Array("wrong".utf8))))
            let next = try await raw.nextMethod()
            #expect(next == nil, "expected the socket to close without a method, got \(String(describing: next))")
        }
    }

    @Test func unknownUser() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.connect(port: broker.amqpPort)
            try await raw.write(ProtocolHeader.bytes)
            try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
            try await raw.send(ConnectionStartOk(
                clientProperties: ["capabilities": .table(["authentication_failure_close": true])],
                response: ByteBuffer(bytes: [0] + Array("nobody".utf8) + [0] + Array("guest".utf8))))
            let close = try await raw.expectConnectionClose()
            #expect(close.replyCode == 403)
        }
    }

    /// A message over `maximumMessageSize` closes only its channel; the connection goes on.
    @Test func messageLargerThanTheMaximumClosesOnlyTheChannel() async throws {
        let limit: UInt64 = 1024 * 1024
        try await withHealthyBroker(BrokerConfiguration(amqpPort: 0, maximumMessageSize: limit)) { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
            try await raw.openChannel(1)
            try await raw.send(QueueDeclare(queue: "big"), channel: 1)
            try await raw.expect("queue.declare-ok") { if case .queueDeclareOk = $0 { true } else { false } }
            var publish = ByteBuffer()
            try publish.writePublish(channel: 1, BasicPublish(routingKey: "big"), properties: BasicProperties(),
                                     body: ByteBuffer(repeating: 0x61, count: Int(limit) * 2), frameMax: 131_072)
            try await raw.write(publish)
            guard case .channelClose(let close)? = try await raw.nextMethod() else {
                Issue.record("expected channel.close")
                return
            }
            #expect(close.replyCode == 406)
            #expect(close.replyText
                == "PRECONDITION_FAILED - message size \(limit * 2) is larger than configured max size \(limit)")
            try await raw.send(ChannelCloseOk(), channel: 1)

            // The connection still works: a new channel, and the closed one reopened.
            try await raw.openChannel(2)
            try await raw.send(QueueDeclare(queue: "big", passive: true), channel: 2)
            guard case .queueDeclareOk(let ok)? = try await raw.nextMethod() else {
                Issue.record("expected queue.declare-ok")
                return
            }
            #expect(ok.messageCount == 0)
            try await raw.openChannel(1)

            // Exactly the limit is allowed.
            var atLimit = ByteBuffer()
            try atLimit.writePublish(channel: 1, BasicPublish(routingKey: "big"), properties: BasicProperties(),
                                     body: ByteBuffer(repeating: 0x62, count: Int(limit)), frameMax: 131_072)
            try await raw.write(atLimit)
            try await raw.send(QueueDeclare(queue: "big", passive: true), channel: 1)
            guard case .queueDeclareOk(let after)? = try await raw.nextMethod() else {
                Issue.record("expected queue.declare-ok")
                return
            }
            #expect(after.messageCount == 1)
            try await raw.send(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0))
            try await raw.expect("connection.close-ok") { if case .connectionCloseOk = $0 { true } else { false } }
        }
    }
}
