import NIOCore
import NIOEmbedded
import Testing

@testable import WarrenClient

@Suite("AMQPConnectionHandler: channels")
struct AMQPConnectionHandlerChannelsTests {
    /// Asks the handler for a channel, as `AMQPConnection.openChannel` does on the loop.
    static func openChannel(_ h: BrokerHarness) -> (EventLoopFuture<UInt16>, ChannelShared) {
        let shared = ChannelShared()
        let (_, returns) = AsyncStream<AMQPReturnedMessage>.makeStream()
        let promise = h.loop.makePromise(of: UInt16.self)
        h.handler.openChannel(shared: shared, returns: returns, promise: promise)
        return (promise.futureResult, shared)
    }

    /// Sends a request on a channel, as `AMQPChannel.call` does; returns the answer's future.
    static func call<Method: AMQPMethodArguments>(
        _ h: BrokerHarness, channel: UInt16, _ request: Method, answers: [(UInt16, UInt16)]
    ) throws -> EventLoopFuture<Command> {
        var bytes = ByteBuffer()
        try bytes.writeMethodFrame(channel: channel, request)
        let promise = h.loop.makePromise(of: Command.self)
        h.handler.call(channel: channel, request: bytes, answers: answers, promise: promise)
        return promise.futureResult
    }

    /// Publishes on channel 1 as `AMQPChannel.publish` does in confirm mode, one message per sequence number.
    static func publish(_ h: BrokerHarness, _ sequences: ClosedRange<UInt64>) throws {
        for sequence in sequences {
            var bytes = ByteBuffer()
            try bytes.writePublish(
                channel: 1, BasicPublish(routingKey: "jobs"), properties: BasicProperties(),
                body: ByteBuffer(string: "job \(sequence)"), frameMax: 131_072)
            h.handler.send(channel: 1, bytes: bytes, publishSequence: sequence)
        }
    }

    /// An open connection with channel 1 open.
    static func withChannel() throws -> (BrokerHarness, ChannelShared) {
        let h = try BrokerHarness()
        try h.handshake()
        let (opened, shared) = openChannel(h)
        #expect(try h.methods().map { "\($0.channel) \($0.method.name)" } == ["1 channel.open"])
        try h.send(channel: 1, ChannelOpenOk().method)
        guard case .success(let id) = outcome(opened) else {
            Issue.record("channel.open did not succeed")
            throw CancellationError()
        }
        #expect(id == 1)
        #expect(h.handler.channels[1]?.phase == .open)
        return (h, shared)
    }

    @Test func openChannel() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.handshake()
        let (opened, _) = Self.openChannel(h)
        #expect(outcome(opened) == nil)
        let sent = try h.methods()
        #expect(sent.map(\.channel) == [1])
        #expect(sent.map(\.method) == [ChannelOpen().method])
        try h.send(channel: 1, ChannelOpenOk().method)
        guard case .success(let id) = outcome(opened) else {
            Issue.record("channel.open did not succeed")
            return
        }
        #expect(id == 1)
        // The next channel takes the next free id.
        let (second, _) = Self.openChannel(h)
        #expect(try h.methods().map(\.channel) == [2])
        try h.send(channel: 2, ChannelOpenOk().method)
        guard case .success(2) = outcome(second) else {
            Issue.record("second channel.open did not succeed with 2")
            return
        }
    }

    @Test func requestIsAnswered() throws {
        let (h, _) = try Self.withChannel()
        defer { try? h.finish() }
        let answer = try Self.call(h, channel: 1, QueueDeclare(queue: "jobs", durable: true), answers: [(50, 11)])
        #expect(try h.methods().map { "\($0.channel) \($0.method.name)" } == ["1 queue.declare"])
        let ok = QueueDeclareOk(queue: "jobs", messageCount: 3, consumerCount: 1)
        try h.send(channel: 1, ok.method)
        guard case .success(let command) = outcome(answer) else {
            Issue.record("queue.declare did not succeed")
            return
        }
        #expect(command.method == ok.method)
        #expect(command.channel == 1)
    }

    @Test func channelCloseFromTheBrokerFailsThePendingRequest() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let answer = try Self.call(h, channel: 1, QueueDeclare(queue: "missing", passive: true), answers: [(50, 11)])
        _ = try h.written()
        let text = "NOT_FOUND - no queue 'missing' in vhost '/'"
        try h.send(channel: 1, ChannelClose(replyCode: 404, replyText: text, classID: 50, methodID: 10).method)

        let sent = try h.methods()
        #expect(sent.map(\.channel) == [1])
        #expect(sent.map(\.method) == [ChannelCloseOk().method])
        let reason = AMQPCloseReason(replyCode: 404, replyText: text, classID: 50, methodID: 10)
        #expect(failure(answer) == .channelClosedByServer(reason))
        #expect(shared.state.withLock { $0.closedError } == .channelClosedByServer(reason))
        #expect(h.handler.channels[1] == nil)
        // The connection carries on; later requests on the channel fail at once.
        #expect(h.channel.isActive)
        #expect(h.closedError == nil)
        let late = try Self.call(h, channel: 1, QueueDeclare(queue: "x"), answers: [(50, 11)])
        #expect(failure(late) == .channelClosed)
        #expect(try h.written() == [])
        // The id is free again.
        let (reopened, _) = Self.openChannel(h)
        #expect(try h.methods().map(\.channel) == [1])
        try h.send(channel: 1, ChannelOpenOk().method)
        guard case .success(1) = outcome(reopened) else {
            Issue.record("reopening channel 1 did not succeed")
            return
        }
    }

    @Test func unexpectedMethodOnAChannelClosesTheConnection() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let answer = try Self.call(h, channel: 1, QueueDeclare(queue: "jobs"), answers: [(50, 11)])
        _ = try h.written()
        try h.send(channel: 1, ExchangeDeclareOk().method)
        let sent = try h.methods()
        guard sent.count == 1, case .connectionClose(let close) = sent[0].method else {
            Issue.record("expected one connection.close, got \(sent.map(\.method.name))")
            return
        }
        #expect(close.replyCode == 503)
        #expect(!h.channel.isActive)
        let error = AMQPClientError.unexpectedMethod("exchange.declare-ok on channel 1")
        #expect(h.closedError == error)
        #expect(failure(answer) == error)
        #expect(shared.state.withLock { $0.closedError } == error)
    }

    @Test func clientClosesAChannel() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let closed = h.loop.makePromise(of: Void.self)
        h.handler.closeChannel(1, promise: closed)
        #expect(try h.methods().map { "\($0.channel) \($0.method.name)" } == ["1 channel.close"])
        // A delivery racing the close is dropped.
        try h.send(channel: 1, BasicQosOk().method)
        #expect(outcome(closed.futureResult) == nil)
        try h.send(channel: 1, ChannelCloseOk().method)
        guard case .success = outcome(closed.futureResult) else {
            Issue.record("close did not succeed")
            return
        }
        #expect(shared.state.withLock { $0.closedError } == .channelClosed)
        #expect(h.channel.isActive)
    }

    @Test func losingTheConnectionFailsOpenChannels() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let answer = try Self.call(h, channel: 1, QueueDeclare(queue: "jobs"), answers: [(50, 11)])
        try h.channel.close().wait()
        let error = AMQPClientError.connectionClosed(reason: "the broker closed the socket")
        #expect(failure(answer) == error)
        #expect(shared.state.withLock { $0.closedError } == error)
        let (opened, _) = Self.openChannel(h)
        #expect(failure(opened) == error)
    }

    @Test func clientClosesTheConnection() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let closed = h.loop.makePromise(of: Void.self)
        h.handler.closeConnection(promise: closed)
        #expect(try h.methods().map(\.method) == [
            ConnectionClose(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0).method
        ])
        #expect(outcome(closed.futureResult) == nil)
        try h.send(ConnectionCloseOk().method)
        guard case .success = outcome(closed.futureResult) else {
            Issue.record("close did not succeed")
            return
        }
        #expect(!h.channel.isActive)
        #expect(h.closedError == .connectionClosed(reason: "closed by this client"))
        #expect(shared.state.withLock { $0.closedError } == .channelClosed)
        // Closing again is a no-op.
        let again = h.loop.makePromise(of: Void.self)
        h.handler.closeConnection(promise: again)
        guard case .success = outcome(again.futureResult) else {
            Issue.record("second close did not succeed")
            return
        }
    }

    @Test func clientCloseGivesUpOnASilentBrokerAfterFiveSeconds() throws {
        let h = try BrokerHarness()
        defer { try? h.finish() }
        try h.handshake()
        let closed = h.loop.makePromise(of: Void.self)
        h.handler.closeConnection(promise: closed)
        #expect(try h.methods().map(\.method.name) == ["connection.close"])
        h.loop.advanceTime(by: .milliseconds(4_999))
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .milliseconds(1))
        #expect(!h.channel.isActive)
        guard case .success = outcome(closed.futureResult) else {
            Issue.record("close did not succeed")
            return
        }
    }

    @Test func publisherConfirmsReachTheirWaiters() throws {
        let (h, shared) = try Self.withChannel()
        defer { try? h.finish() }
        let selected = try Self.call(h, channel: 1, ConfirmSelect(), answers: [(85, 11)])
        #expect(try h.methods().map(\.method.name) == ["confirm.select"])
        try h.send(channel: 1, ConfirmSelectOk().method)
        #expect(outcome(selected) != nil)
        #expect(shared.state.withLock { $0.confirmMode })
        try Self.publish(h, 1...4)
        #expect(try h.frames().count == 12)  // method, header and body each
        let second = h.loop.makePromise(of: AMQPConfirmation.self)
        h.handler.waitForConfirm(channel: 1, sequence: 2, promise: second)
        let all = h.loop.makePromise(of: AMQPConfirmSummary.self)
        h.handler.waitForConfirms(channel: 1, promise: all)

        try h.send(channel: 1, BasicAck(deliveryTag: 1, multiple: false).method)
        #expect(outcome(second.futureResult) == nil)
        try h.send(channel: 1, BasicNack(deliveryTag: 2, multiple: false, requeue: false).method)
        guard case .success(.nack) = outcome(second.futureResult) else {
            Issue.record("publish 2 was not reported nacked")
            return
        }
        try h.send(channel: 1, BasicAck(deliveryTag: 3, multiple: true).method)
        #expect(outcome(all.futureResult) == nil)
        // A waiter still outstanding when the broker closes the channel fails with the reason.
        let fourth = h.loop.makePromise(of: AMQPConfirmation.self)
        h.handler.waitForConfirm(channel: 1, sequence: 4, promise: fourth)
        try h.send(channel: 1, ChannelClose(replyCode: 406, replyText: "PRECONDITION_FAILED - x", classID: 0, methodID: 0).method)
        let reason = AMQPCloseReason(replyCode: 406, replyText: "PRECONDITION_FAILED - x")
        #expect(failure(fourth.futureResult) == .channelClosedByServer(reason))
        #expect(failure(all.futureResult) == .channelClosedByServer(reason))
        #expect(try h.methods().map(\.method) == [ChannelCloseOk().method])
    }

    @Test func waitForConfirmsResolvesWithTheSummary() throws {
        let (h, _) = try Self.withChannel()
        defer { try? h.finish() }
        _ = try Self.call(h, channel: 1, ConfirmSelect(), answers: [(85, 11)])
        try h.send(channel: 1, ConfirmSelectOk().method)
        try Self.publish(h, 1...3)
        let all = h.loop.makePromise(of: AMQPConfirmSummary.self)
        h.handler.waitForConfirms(channel: 1, promise: all)
        try h.send(channel: 1, BasicNack(deliveryTag: 2, multiple: true, requeue: false).method)
        #expect(outcome(all.futureResult) == nil)
        try h.send(channel: 1, BasicAck(deliveryTag: 3, multiple: false).method)
        guard case .success(let summary) = outcome(all.futureResult) else {
            Issue.record("waitForConfirms did not succeed")
            return
        }
        #expect(summary == AMQPConfirmSummary(upTo: 3, nacked: [1, 2]))
        let first = h.loop.makePromise(of: AMQPConfirmation.self)
        h.handler.waitForConfirm(channel: 1, sequence: 1, promise: first)
        guard case .success(.nack) = outcome(first.futureResult) else {
            Issue.record("an already nacked publish did not resolve at once")
            return
        }
    }
}
