import NIOCore
import NIOEmbedded
import Testing

@testable import WarrenClient

@Suite("AMQPConnectionHandler: handshake, connection methods, heartbeats")
struct AMQPConnectionHandlerTests {
    @Test func handshakeOverTheWire() throws {
        let config = AMQPConnectionConfiguration(
            username: "user", password: "pass", virtualHost: "vh", heartbeat: 30, frameMax: 65_536,
            connectionName: "test")
        let h = try BrokerHarness(configuration: config)
        defer { try? h.finish() }
        #expect(try h.written() == [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1])

        try h.send(connectionStart())
        let startOk = try h.methods()
        try #require(startOk.count == 1)
        #expect(startOk[0].channel == 0)
        guard case .connectionStartOk(let ok) = startOk[0].method else {
            Issue.record("expected start-ok, got \(startOk[0].method.name)")
            return
        }
        #expect(ok.mechanism == "PLAIN")
        #expect(ok.response.bytes == [0] + Array("user".utf8) + [0] + Array("pass".utf8))
        #expect(ok.clientProperties["connection_name"] == "test")
        #expect(ok.clientProperties["capabilities"]?.tableValue?["connection.blocked"] == true)

        try h.send(ConnectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60).method)
        let tuneReplies = try h.methods()
        #expect(tuneReplies.map(\.channel) == [0, 0])
        #expect(tuneReplies.map(\.method) == [
            ConnectionTuneOk(channelMax: 2047, frameMax: 65_536, heartbeat: 30).method,
            ConnectionOpen(virtualHost: "vh").method,
        ])
        #expect(outcome(h.connectPromise.futureResult) == nil)

        try h.send(ConnectionOpenOk().method)
        guard case .success(let (negotiated, serverProperties)) = outcome(h.connectPromise.futureResult) else {
            Issue.record("connect promise did not succeed")
            return
        }
        #expect(negotiated == AMQPNegotiatedParameters(channelMax: 2047, frameMax: 65_536, heartbeat: 30))
        #expect(serverProperties["product"] == "RabbitMQ")
        #expect(h.handler.decoder.frameMax == 65_536)
        #expect(h.closedError == nil)
    }

    @Test func protocolHeaderIsSentOnceWhenAddedToAnActiveChannel() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5672)).wait()
        let (_, blocking) = AsyncStream<AMQPBlockingEvent>.makeStream()
        let promise = channel.embeddedEventLoop.makePromise(of: (AMQPNegotiatedParameters, FieldTable).self)
        let config = AMQPConnectionConfiguration()
        let handler = AMQPConnectionHandler(
            configuration: config, clientProperties: AMQPConnection.clientProperties(config), connectPromise: promise,
            connectionShared: ConnectionShared(), blocking: blocking)
        try channel.pipeline.syncOperations.addHandler(handler)
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.bytes == ProtocolHeader.bytes)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(failure(promise.futureResult) != nil)
    }

    @Test func loginRefusedWithConnectionClose() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        _ = try h.written()
        try h.send(connectionStart())
        _ = try h.written()
        let text = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."
        try h.send(ConnectionClose(replyCode: 403, replyText: text, classID: 0, methodID: 0).method)
        #expect(try h.methods().map(\.method) == [ConnectionCloseOk().method])
        #expect(failure(h.connectPromise.futureResult) == .authenticationFailed(AMQPCloseReason(replyCode: 403, replyText: text)))
        #expect(!h.channel.isActive)
    }

    @Test func socketClosedDuringLoginIsAuthenticationFailure() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.send(connectionStart())
        try h.channel.close().wait()
        guard case .authenticationFailed(let reason) = failure(h.connectPromise.futureResult) else {
            Issue.record("expected authenticationFailed")
            return
        }
        #expect(reason.replyCode == 403)
    }

    @Test func unsupportedMechanismFailsTheConnect() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        _ = try h.written()
        try h.send(connectionStart(mechanisms: "EXTERNAL"))
        #expect(failure(h.connectPromise.futureResult) == .unsupportedMechanism(offered: "EXTERNAL"))
        #expect(!h.channel.isActive)
        #expect(try h.written() == [])
    }

    @Test func heartbeatFramesFromTheBrokerAreIgnored() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.handshake()
        try h.send(bytes: [8, 0, 0, 0, 0, 0, 0, 0xCE])
        try h.send(bytes: [8, 0, 0, 0, 0, 0, 0, 0xCE, 8, 0, 0])  // and one split across reads
        try h.send(bytes: [0, 0, 0, 0xCE])
        #expect(try h.written() == [])
        #expect(h.channel.isActive)
        #expect(h.closedError == nil)
    }

    @Test func badFrameEndClosesWith501() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.handshake()
        try h.send(bytes: [8, 0, 0, 0, 0, 0, 0, 0xCD])
        let sent = try h.methods()
        try #require(sent.count == 1)
        guard case .connectionClose(let close) = sent[0].method else {
            Issue.record("expected connection.close, got \(sent[0].method.name)")
            return
        }
        #expect(close.replyCode == 501)
        #expect(close.replyText == "FRAME_ERROR - invalid frame end marker 0xcd")
        #expect(!h.channel.isActive)
        #expect(h.closedError == .protocolError(.badFrameEnd(0xCD)))
    }

    @Test func frameOverTheNegotiatedFrameMaxClosesWith501() throws {
        let h = try BrokerHarness(configuration: AMQPConnectionConfiguration(heartbeat: 0, frameMax: 4096))
        defer { try? h.finish() }
        try h.handshake()
        // Only the frame header has arrived: its size alone is refused.
        try h.send(bytes: [3, 0, 1, 0, 0, 0x10, 0x01])
        let sent = try h.methods()
        guard sent.count == 1, case .connectionClose(let close) = sent[0].method else {
            Issue.record("expected one connection.close, got \(sent.map(\.method.name))")
            return
        }
        #expect(close.replyCode == 501)
        #expect(close.replyText == "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}")
        #expect(h.closedError == .protocolError(.frameTooLarge(type: 3, size: 4097, maximum: 4088)))
        #expect(!h.channel.isActive)
    }

    @Test func connectionCloseFromTheBroker() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.handshake()
        try h.send(ConnectionClose(replyCode: 320, replyText: "CONNECTION_FORCED - shutdown", classID: 0, methodID: 0).method)
        #expect(try h.methods().map(\.method) == [ConnectionCloseOk().method])
        #expect(!h.channel.isActive)
        let expected = AMQPClientError.connectionClosedByServer(
            AMQPCloseReason(replyCode: 320, replyText: "CONNECTION_FORCED - shutdown"))
        #expect(h.closedError == expected)
        #expect(h.closedError?.description == "connection closed by the broker: 320 CONNECTION_FORCED - shutdown")
    }

    /// Runs blocked / unblocked through a connection, closes it, and hands back its event stream.
    static func blockingScenario() throws -> AsyncStream<AMQPBlockingEvent> {
        let h = try BrokerHarness()
        try h.handshake()
        try h.send(ConnectionBlocked(reason: "low on memory").method)
        #expect(h.shared.state.withLock { $0.blockedReason } == "low on memory")
        try h.send(ConnectionUnblocked().method)
        #expect(h.shared.state.withLock { $0.blockedReason } == nil)
        #expect(try h.written() == [])
        try h.finish()
        return h.blockingEvents
    }

    @Test func blockedAndUnblockedAreYielded() async throws {
        // All the channel work happens in one synchronous call, on one thread, as EmbeddedChannel needs.
        let stream = try Self.blockingScenario()
        var events: [AMQPBlockingEvent] = []
        for await event in stream { events.append(event) }
        #expect(events == [.blocked(reason: "low on memory"), .unblocked])
    }

    @Test func heartbeatIsSentAfterHalfAnIntervalWithoutWrites() throws {
        let h = try BrokerHarness(configuration: AMQPConnectionConfiguration(heartbeat: 10))
        defer { try? h.finish() }
        try h.handshake(tune: ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 60))
        // The first half interval saw the handshake's writes.
        h.loop.advanceTime(by: .seconds(5))
        #expect(try h.written() == [])
        // The next one saw none.
        h.loop.advanceTime(by: .milliseconds(4_999))
        #expect(try h.written() == [])
        h.loop.advanceTime(by: .milliseconds(1))
        #expect(try h.frames() == [.heartbeat])
        try h.send(bytes: [8, 0, 0, 0, 0, 0, 0, 0xCE])
        h.loop.advanceTime(by: .seconds(5))
        #expect(try h.frames() == [.heartbeat])
        #expect(h.channel.isActive)
    }

    @Test func missedHeartbeatsCloseTheConnection() throws {
        let h = try BrokerHarness(configuration: AMQPConnectionConfiguration(heartbeat: 10))
        defer { try? h.finish() }
        try h.handshake(tune: ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 10))
        h.loop.advanceTime(by: .seconds(5))
        // Anything read keeps the connection alive.
        h.loop.advanceTime(by: .seconds(15))
        #expect(h.channel.isActive)
        try h.send(bytes: [8, 0, 0, 0, 0, 0, 0, 0xCE])
        h.loop.advanceTime(by: .seconds(20))
        #expect(h.channel.isActive)
        // Two intervals of silence after the last check that saw a read (t = 25 s) are not
        // enough; two and a half are.
        h.loop.advanceTime(by: .seconds(5))
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .seconds(5))
        #expect(!h.channel.isActive)
        #expect(h.closedError == .missedHeartbeats(intervalSeconds: 10))
        #expect(h.handler.heartbeatTask == nil)
        #expect(try h.frames().allSatisfy { $0 == .heartbeat })
    }

    @Test func noHeartbeatsWhenDisabled() throws {
        let h = try BrokerHarness(configuration: AMQPConnectionConfiguration(heartbeat: 0))
        defer { try? h.finish() }
        try h.handshake(tune: ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 60))
        #expect(h.handler.heartbeatTask == nil)
        h.loop.advanceTime(by: .seconds(600))
        #expect(try h.written() == [])
        #expect(h.channel.isActive)
    }
}
