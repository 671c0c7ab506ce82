import NIOCore
import Testing

@testable import WarrenClient

@Suite("HandshakeStateMachine")
struct HandshakeStateMachineTests {
    static func machine(
        _ configure: (inout AMQPConnectionConfiguration) -> Void = { _ in }
    ) -> HandshakeStateMachine {
        var config = AMQPConnectionConfiguration(username: "user", password: "pass", virtualHost: "vh")
        configure(&config)
        return HandshakeStateMachine(configuration: config, clientProperties: AMQPConnection.clientProperties(config))
    }

    /// The methods of a `.send` action.
    static func sent(_ action: HandshakeStateMachine.Action) -> [AMQPMethod]? {
        if case .send(let methods) = action { return methods }
        return nil
    }

    static func failure(_ action: HandshakeStateMachine.Action) -> AMQPClientError? {
        if case .fail(let error) = action { return error }
        return nil
    }

    static func startOk(_ action: HandshakeStateMachine.Action) throws -> ConnectionStartOk {
        let methods = try #require(sent(action))
        try #require(methods.count == 1)
        guard case .connectionStartOk(let startOk) = methods[0] else {
            Issue.record("expected start-ok, got \(methods[0].name)")
            throw CancellationError()
        }
        return startOk
    }

    /// Runs start and tune with these broker values; returns the tune action.
    static func tuned(
        client: (channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16),
        broker: (channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    ) -> (HandshakeStateMachine, HandshakeStateMachine.Action) {
        var m = machine {
            $0.channelMax = client.channelMax
            $0.frameMax = client.frameMax
            $0.heartbeat = client.heartbeat
        }
        _ = m.received(connectionStart())
        let action = m.received(
            ConnectionTune(channelMax: broker.channelMax, frameMax: broker.frameMax, heartbeat: broker.heartbeat).method)
        return (m, action)
    }

    @Test func startSendsPlainStartOkWithClientProperties() throws {
        var m = Self.machine { $0.connectionName = "orders" }
        let startOk = try Self.startOk(m.received(connectionStart()))
        #expect(startOk.mechanism == "PLAIN")
        #expect(startOk.locale == "en_US")
        #expect(startOk.response.bytes == [0] + Array("user".utf8) + [0] + Array("pass".utf8))
        let properties = startOk.clientProperties
        #expect(properties["product"] == "Warren")
        #expect(properties["platform"] == "Swift")
        #expect(properties["version"] == .string(WarrenClientVersion.current))
        #expect(properties["connection_name"] == "orders")
        let capabilities = try #require(properties["capabilities"]?.tableValue)
        for flag in [
            "publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
            "connection.blocked", "authentication_failure_close", "per_consumer_qos",
        ] {
            #expect(capabilities[flag] == true, "\(flag)")
        }
        #expect(capabilities.count == 7)
        #expect(m.serverProperties["product"] == "RabbitMQ")
        guard case .awaitingTune = m.state else { Issue.record("state \(m.state)"); return }
    }

    @Test func clientPropertiesWithoutConnectionName() {
        #expect(AMQPConnection.clientProperties(AMQPConnectionConfiguration())["connection_name"] == nil)
    }

    @Test func amqplainResponseIsTableEntriesWithoutLengthPrefix() throws {
        var m = Self.machine { $0.authenticationMechanism = .amqplain }
        let startOk = try Self.startOk(m.received(connectionStart(mechanisms: "AMQPLAIN PLAIN")))
        #expect(startOk.mechanism == "AMQPLAIN")
        let expected: [UInt8] =
            [5] + Array("LOGIN".utf8) + [UInt8(ascii: "S"), 0, 0, 0, 4] + Array("user".utf8)
            + [8] + Array("PASSWORD".utf8) + [UInt8(ascii: "S"), 0, 0, 0, 4] + Array("pass".utf8)
        #expect(startOk.response.bytes == expected)
    }

    @Test(arguments: [("PLAIN", "AMQPLAIN"), ("AMQPLAIN", "PLAIN"), ("PLAIN", "EXTERNAL PLAINX"), ("PLAIN", "")])
    func mechanismNotOffered(wanted: String, offered: String) {
        var m = Self.machine { $0.authenticationMechanism = .init(rawValue: wanted)! }
        #expect(Self.failure(m.received(connectionStart(mechanisms: offered))) == .unsupportedMechanism(offered: offered))
        guard case .failed = m.state else { Issue.record("state \(m.state)"); return }
    }

    @Test func secureIsAnsweredWithTheCredentialsAgain() throws {
        var m = Self.machine()
        _ = m.received(connectionStart())
        let methods = try #require(Self.sent(m.received(ConnectionSecure(challenge: ByteBuffer(string: "?")).method)))
        #expect(methods == [ConnectionSecureOk(response: ByteBuffer(bytes: [0, 117, 115, 101, 114, 0, 112, 97, 115, 115])).method])
        guard case .awaitingTune = m.state else { Issue.record("state \(m.state)"); return }
    }

    @Test(arguments: [
        // client (channel, frame, heartbeat), broker (channel, frame, heartbeat), expected
        ((0, 0, 60), (2047, 131_072, 60), (2047, 131_072, 60)),  // client 0 accepts the broker's
        ((100, 8192, 10), (2047, 131_072, 60), (100, 8192, 10)),  // both set: the lower
        ((4000, 200_000, 600), (2047, 131_072, 60), (2047, 131_072, 60)),
        ((0, 0, 0), (2047, 131_072, 60), (2047, 131_072, 0)),  // heartbeat 0 from the client disables
        ((10, 4096, 30), (0, 0, 0), (10, 4096, 30)),  // broker 0 = no limit: the client's
        ((0, 0, 30), (0, 0, 0), (UInt16.max, 0, 30)),  // neither limits channels: 65535
    ] as [((UInt16, UInt32, UInt16), (UInt16, UInt32, UInt16), (UInt16, UInt32, UInt16))])
    func tuneNegotiation(
        client: (UInt16, UInt32, UInt16), broker: (UInt16, UInt32, UInt16), expected: (UInt16, UInt32, UInt16)
    ) throws {
        var (m, action) = Self.tuned(client: client, broker: broker)
        guard case .sendAndApply(let methods, let negotiated) = action else {
            Issue.record("expected sendAndApply, got \(action)")
            return
        }
        let want = AMQPNegotiatedParameters(channelMax: expected.0, frameMax: expected.1, heartbeat: expected.2)
        #expect(negotiated == want)
        #expect(methods == [
            ConnectionTuneOk(channelMax: want.channelMax, frameMax: want.frameMax, heartbeat: want.heartbeat).method,
            ConnectionOpen(virtualHost: "vh").method,
        ])
        #expect(!m.isOpen)
        guard case .opened(let opened, let serverProperties) = m.received(ConnectionOpenOk().method) else {
            Issue.record("open-ok did not open")
            return
        }
        #expect(opened == want)
        #expect(serverProperties["product"] == "RabbitMQ")
        #expect(m.isOpen)
    }

    @Test func lowerNonZero() {
        #expect(HandshakeStateMachine.lowerNonZero(UInt16(0), 0, fallback: 7) == 7)
        #expect(HandshakeStateMachine.lowerNonZero(UInt16(0), 5, fallback: 7) == 5)
        #expect(HandshakeStateMachine.lowerNonZero(UInt16(5), 0, fallback: 7) == 5)
        #expect(HandshakeStateMachine.lowerNonZero(UInt32(9), 4, fallback: 0) == 4)
        #expect(HandshakeStateMachine.lowerNonZero(UInt32(4), 9, fallback: 0) == 4)
    }

    @Test func accessRefusedWhileAwaitingTuneIsAuthenticationFailure() {
        var m = Self.machine()
        _ = m.received(connectionStart())
        let text = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."
        let action = m.received(ConnectionClose(replyCode: 403, replyText: text, classID: 0, methodID: 0).method)
        let error = Self.failure(action)
        #expect(error == .authenticationFailed(AMQPCloseReason(replyCode: 403, replyText: text)))
        #expect(error?.replyText == text)
        #expect(error?.replyCode == 403)
        guard case .failed = m.state else { Issue.record("state \(m.state)"); return }
    }

    @Test func closeAfterOpenWasSentIsClosedByServer() {
        var (m, _) = Self.tuned(client: (0, 0, 60), broker: (0, 0, 60))
        let text = "NOT_ALLOWED - vhost vh not found"
        let action = m.received(ConnectionClose(replyCode: 530, replyText: text, classID: 10, methodID: 40).method)
        let reason = AMQPCloseReason(replyCode: 530, replyText: text, classID: 10, methodID: 40)
        #expect(Self.failure(action) == .connectionClosedByServer(reason))
        #expect(reason.description == "530 \(text) (in reply to connection.open)")
    }

    @Test func accessRefusedAfterOpenIsNotAnAuthenticationFailure() {
        // 403 on connection.open: the user may not use the vhost; the login itself succeeded.
        var (m, _) = Self.tuned(client: (0, 0, 60), broker: (0, 0, 60))
        let close = ConnectionClose(replyCode: 403, replyText: "ACCESS_REFUSED - no access to vh", classID: 10, methodID: 40)
        guard case .connectionClosedByServer(let reason) = Self.failure(m.received(close.method)) else {
            Issue.record("expected connectionClosedByServer")
            return
        }
        #expect(reason.replyCode == 403)
    }

    @Test(arguments: [
        (0, ConnectionOpenOk().method), (0, ConnectionTune().method), (1, ConnectionStart(serverProperties: [:]).method),
        (2, ConnectionStart(serverProperties: [:]).method), (1, ChannelOpenOk().method),
    ] as [(Int, AMQPMethod)])
    func unexpectedMethod(after steps: Int, method: AMQPMethod) {
        var m = Self.machine()
        if steps >= 1 { _ = m.received(connectionStart()) }
        if steps >= 2 { _ = m.received(ConnectionTune().method) }
        #expect(Self.failure(m.received(method)) == .unexpectedMethod("\(method.name) during the connection handshake"))
        guard case .failed = m.state else { Issue.record("state \(m.state)"); return }
    }

    @Test func socketClosedWhileAwaitingTuneIsAuthenticationFailure() {
        var m = Self.machine()
        _ = m.received(connectionStart())
        guard case .authenticationFailed(let reason) = m.socketClosed() else {
            Issue.record("expected authenticationFailed")
            return
        }
        #expect(reason.replyCode == 403)
        #expect(reason.replyText.hasPrefix("ACCESS_REFUSED"))
    }

    @Test func socketClosedAtOtherTimesIsConnectionClosed() {
        var before = Self.machine()
        guard case .connectionClosed = before.socketClosed() else { Issue.record("before start"); return }
        var (after, _) = Self.tuned(client: (0, 0, 0), broker: (0, 0, 0))
        guard case .connectionClosed = after.socketClosed() else { Issue.record("after tune"); return }
    }
}
