import Foundation
import NIOCore
import NIOSSL
import WarrenWire

/// One client connection to the embedded broker: protocol header, handshake, heartbeats, frames
/// to channels, and every write back to the client. A thin executor around ``ServerHandshake``
/// and ``ServerChannel``; everything runs on the broker's event loop.
final class ServerConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case awaitingHeader
        case handshake
        case open
        /// The broker sent connection.close and waits for close-ok; other frames are ignored.
        case closing
        /// The login was refused: nothing more is read, and the socket closes after a delay.
        case refused
        case closed
    }

    unowned let broker: BrokerCore
    private var phase = Phase.awaitingHeader
    private var handshake: ServerHandshake
    private var context: ChannelHandlerContext?
    private var readBuffer: ByteBuffer?
    private var decoder = FrameDecoder(frameMax: FrameConstants.minimumFrameMax)
    private var assembler: CommandAssembler
    private(set) var channels: [UInt16: ServerChannel] = [:]
    /// Channels the broker closed; the client's frames on them are ignored until close-ok.
    private var closingChannels: Set<UInt16> = []
    private(set) var vhost: VirtualHost?
    private(set) var frameMax: UInt32 = FrameConstants.minimumFrameMax
    private(set) var channelMax: UInt16 = 0
    private(set) var heartbeat: UInt16 = 0
    /// Bytes and reads/writes on the socket, for the management API.
    private(set) var receivedOctets = 0
    private(set) var sentOctets = 0
    private(set) var receiveCount = 0
    private(set) var sendCount = 0
    private var heartbeatTask: RepeatedTask?
    private var didRead = false
    private var didWrite = false
    private var silentTicks = 0
    private var flushScheduled = false
    private var closeTimeout: Scheduled<Void>?
    private var handshakeTimeout: Scheduled<Void>?

    var username: String { handshake.username }
    /// Past connection.open and not closing.
    var isOpen: Bool { phase == .open }
    var clientCapabilities: ClientCapabilities { handshake.capabilities }
    var clientProperties: FieldTable { handshake.clientProperties }
    var exclusiveQueues: [BrokerQueue] = []
    var lastDeclaredQueue: [UInt16: String] = [:]
    var channelsWithPendingConfirms: Set<UInt16> = []
    /// Set when a publish arrives during a memory alarm; the connection is blocked after the batch.
    var publishedDuringAlarm = false
    private(set) var isBlocked = false
    /// Queues this read batch published into whose backlog outran their consumers.
    var flowQueues: [BrokerQueue] = []
    private var confirmFlushScheduled = false
    /// Not read from until a queue in `flowQueues` drains (or `flowLimit` passes).
    private(set) var isInFlow = false
    private var flowTimer: Scheduled<Void>?
    /// The queues that paused this connection last, so closing takes it off their lists.
    private var flowPausedOn: [BrokerQueue] = []
    /// The longest a publisher is paused by flow control at a time.
    static let flowLimit = TimeAmount.milliseconds(500)
    private var sentBlocked = false
    let connectedAt = NIODeadline.now()
    /// Milliseconds since the Unix epoch, as the management API shows connected_at.
    let connectedAtWallClock = Int64(Date().timeIntervalSince1970 * 1000)
    private(set) var peerAddress: SocketAddress?
    private(set) var localAddress: SocketAddress?

    /// Accepted on the AMQPS listener.
    let overTLS: Bool

    init(broker: BrokerCore, peerIsLoopback: Bool, overTLS: Bool = false) {
        self.broker = broker
        self.overTLS = overTLS
        self.handshake = ServerHandshake(configuration: broker.configuration, peerIsLoopback: peerIsLoopback)
        // RabbitMQ allows at most 512 MiB whatever max_message_size says; so does a Message.
        self.assembler = CommandAssembler(maximumBodySize: min(broker.configuration.maximumMessageSize, 512 << 20))
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// The TLS version negotiated, named as RabbitMQ's `ssl_protocol` names it; nil over plain TCP.
    var tlsProtocol: String? {
        guard overTLS, let handler = try? context?.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let version = handler.tlsVersion
        else { return nil }
        switch version {
        case .tlsv1: return "tlsv1"
        case .tlsv11: return "tlsv1.1"
        case .tlsv12: return "tlsv1.2"
        case .tlsv13: return "tlsv1.3"
        }
    }
    var channelCount: Int { channels.count }

    // MARK: NIO events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        peerAddress = context.channel.remoteAddress
        localAddress = context.channel.localAddress
        broker.register(self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        handshakeTimeout = context.eventLoop.scheduleTask(in: broker.configuration.handshakeTimeout) {
            bound.value.handshakeTimedOut()
        }
    }

    /// The client did not finish the handshake in time; like RabbitMQ, just drop the socket.
    private func handshakeTimedOut() {
        guard phase == .awaitingHeader || phase == .handshake else { return }
        closeSocket()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        didRead = true
        receivedOctets += incoming.readableBytes
        receiveCount += 1
        // After a refused login nothing more is read, nor kept.
        if phase == .refused { return }
        if readBuffer == nil || readBuffer!.readableBytes == 0 {
            readBuffer = incoming
        } else {
            readBuffer!.writeBuffer(&incoming)
        }
        do {
            if phase == .awaitingHeader {
                guard readBuffer!.readableBytes >= 8 else { return }
                let header = readBuffer!.readBytes(length: 8)!
                do {
                    try ProtocolHeader.validate(header)
                } catch {
                    // AMQP says: answer with the protocol header this server speaks, then close.
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: ProtocolHeader.bytes)), promise: nil)
                    closeSocket()
                    return
                }
                phase = .handshake
                send(channel: 0, handshake.start())
                flush()
            }
            while phase != .closed, phase != .refused, let frame = try decoder.decodeFrame(from: &readBuffer!) {
                try receive(frame)
            }
        } catch let error as AMQPWireError {
            closeConnection(BrokerError(ReplyCode(rawValue: error.replyCode) ?? .frameError, error.detail))
            // The bytes after a bad frame cannot be framed; dropping them lets the client's
            // close-ok, which comes in a later read, be seen rather than waiting for the timeout.
            readBuffer = nil
        } catch let error as BrokerError {
            closeConnection(error)
        } catch {
            closeConnection(BrokerError(.internalError, "\(error)"))
        }
        if readBuffer?.readableBytes == 0 { readBuffer = nil } else { readBuffer?.discardReadBytes() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushConfirms()
        if publishedDuringAlarm && broker.alarmed && !isBlocked { block() }
        publishedDuringAlarm = false
        if !flowQueues.isEmpty { pauseForFlow() }
        flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A client that does not read stops being read from: memory stays bounded.
        updateAutoRead()
        if context.channel.isWritable {
            for channel in channels.values { channel.drainConsumerQueues() }
        }
    }

    private func updateAutoRead() {
        guard let context else { return }
        let read = context.channel.isWritable && !isBlocked && !isInFlow
        context.channel.setOption(ChannelOptions.autoRead, value: read).whenComplete { _ in }
    }

    /// Stops reading from a connection that publishes during an alarm, as RabbitMQ does,
    /// telling clients that asked for it with connection.blocked.
    private func block() {
        isBlocked = true
        if clientCapabilities.connectionBlocked {
            send(channel: 0, ConnectionBlocked(reason: broker.blockReason))
            sentBlocked = true
        }
        updateAutoRead()
    }

    /// Stops reading until the queues this batch filled drain, as RabbitMQ's credit flow does.
    private func pauseForFlow() {
        let queues = flowQueues
        flowQueues = []
        guard let context, !isInFlow else { return }
        isInFlow = true
        for queue in queues { queue.flowPaused[ObjectIdentifier(self)] = BrokerQueue.PausedConnection(connection: self) }
        flowPausedOn = queues
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        flowTimer = context.eventLoop.scheduleTask(in: Self.flowLimit) { bound.value.resumeFlow() }
        updateAutoRead()
    }

    func resumeFlow() {
        guard isInFlow else { return }
        isInFlow = false
        flowTimer?.cancel()
        flowTimer = nil
        updateAutoRead()
    }

    func unblock() {
        guard isBlocked else { return }
        isBlocked = false
        if sentBlocked {
            send(channel: 0, ConnectionUnblocked())
            sentBlocked = false
            flush()
        }
        updateAutoRead()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeSocket()
    }

    // MARK: Frames

    private func receive(_ frame: Frame) throws {
        if case .heartbeat = frame { return }
        if phase == .closing {
            // Only connection.close / close-ok matter now.
            if case .method(0, let method) = frame {
                switch method {
                case .connectionCloseOk: closeSocket()
                case .connectionClose: send(channel: 0, ConnectionCloseOk()); closeSocket()
                default: break
                }
            }
            return
        }
        if frame.channel != 0 && closingChannels.contains(frame.channel) {
            if case .method(_, let method) = frame {
                switch method {
                case .channelCloseOk: closingChannels.remove(frame.channel)
                case .channelClose:
                    closingChannels.remove(frame.channel)
                    send(channel: frame.channel, ChannelCloseOk())
                default: break
                }
            }
            assembler.reset(channel: frame.channel)
            return
        }
        let command: Command?
        do {
            command = try assembler.assemble(frame)
        } catch {
            guard case .contentTooLarge(let size, let maximum) = error else { throw error }
            // RabbitMQ closes only the channel for an oversized message.
            closeChannel(frame.channel, BrokerError(.preconditionFailed,
                "message size \(size) is larger than configured max size \(maximum)"))
            return
        }
        guard let command else { return }
        if command.channel == 0 {
            try receiveConnectionMethod(command.method)
        } else {
            try receiveChannelCommand(command)
        }
    }

    private func receiveConnectionMethod(_ method: AMQPMethod) throws {
        guard phase == .open else {
            switch handshake.received(method) {
            case .send(let reply):
                try write(channel: 0, reply)
                flush()
            case .refuseLogin(let error, let sendClose, let logged):
                refuseLogin(error, sendClose: sendClose, logged: logged)
            case .tuned(let frameMax, let channelMax, let heartbeat):
                self.frameMax = frameMax == 0 ? broker.configuration.frameMax : frameMax
                self.channelMax = channelMax == 0 ? broker.configuration.channelMax : channelMax
                decoder.frameMax = self.frameMax
                self.heartbeat = heartbeat
                startHeartbeats(heartbeat)
            case .opened(let vhostName, let reply):
                vhost = broker.vhosts[vhostName]
                phase = .open
                handshakeTimeout?.cancel()
                try write(channel: 0, reply)
                flush()
            case .fail(let error):
                throw error.during(method)
            }
            return
        }
        switch method {
        case .connectionClose:
            // As RabbitMQ does: release everything now, answer, and leave closing the socket to the
            // client (a client that sees EOF before it reads close-ok reports an error), closing it
            // ourselves only after the heartbeat interval, at most 30 s.
            flushConfirms()
            phase = .closing
            send(channel: 0, ConnectionCloseOk())
            flush()
            releaseResources()
            scheduleCloseTimeout(seconds: heartbeat > 0 ? min(Int64(heartbeat), 30) : 30)
        case .connectionCloseOk:
            closeSocket()
        case .connectionUpdateSecret:
            send(channel: 0, ConnectionUpdateSecretOk())
        default:
            throw BrokerError(.commandInvalid, "unexpected method \(method.name) on channel 0").during(method)
        }
    }

    private func receiveChannelCommand(_ command: Command) throws {
        let id = command.channel
        guard phase == .open, let vhost else {
            throw BrokerError.commandInvalid("channel \(id) used before connection.open").during(command.method)
        }
        if case .channelOpen = command.method {
            guard channels[id] == nil else {
                throw BrokerError.channelError("second 'channel.open' seen").during(command.method)
            }
            guard id <= channelMax else {
                throw BrokerError.notAllowed("channel id \(id) is above the negotiated channel_max \(channelMax)")
                    .during(command.method)
            }
            channels[id] = ServerChannel(id: id, connection: self, vhost: vhost)
            broker.churn.channelCreated += 1
            send(channel: id, ChannelOpenOk())
            return
        }
        guard let channel = channels[id] else {
            throw BrokerError.channelError("expected 'channel.open'").during(command.method)
        }
        switch command.method {
        case .channelClose:
            channels[id] = nil
            lastDeclaredQueue[id] = nil
            channel.close()
            send(channel: id, ChannelCloseOk())
        case .channelCloseOk:
            break
        default:
            do {
                try channel.handle(command)
            } catch {
                let located = error.classID == 0 ? error.during(command.method) : error
                if located.closesConnection { throw located }
                closeChannel(id, located)
            }
        }
    }

    /// Closes one channel with a soft error; the connection carries on.
    private func closeChannel(_ id: UInt16, _ error: BrokerError) {
        if let channel = channels.removeValue(forKey: id) { channel.close() }
        lastDeclaredQueue[id] = nil
        assembler.reset(channel: id)
        closingChannels.insert(id)
        send(channel: id, ChannelClose(replyCode: error.code.rawValue, replyText: error.replyText.truncatedToShortString,
                                       classID: error.classID, methodID: error.methodID))
    }

    // MARK: Writing

    func send<Method: AMQPMethodArguments>(channel: UInt16, _ method: Method) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 32)
        do {
            try buffer.writeMethodFrame(channel: channel, method)
        } catch {
            return
        }
        write(buffer)
    }

    private func write(channel: UInt16, _ method: AMQPMethod) throws {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try buffer.writeFrame(.method(channel: channel, method))
        write(buffer)
    }

    func sendContent<Method: AMQPMethodArguments>(
        channel: UInt16, _ method: Method, properties: BasicProperties, message: Message
    ) {
        message.withBody { body in
            sendContent(channel: channel, method, properties: properties, bodyBytes: body)
        }
    }

    func sendContent<Method: AMQPMethodArguments>(
        channel: UInt16, _ method: Method, properties: BasicProperties, bodyBytes body: UnsafeRawBufferPointer
    ) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: body.count + 128)
        do {
            try buffer.writeMethodFrame(channel: channel, method)
            try buffer.writeContent(channel: channel, properties: properties, bodyBytes: body, frameMax: frameMax)
        } catch {
            return
        }
        write(buffer)
    }

    private func write(_ buffer: ByteBuffer) {
        guard let context else { return }
        didWrite = true
        sentOctets += buffer.readableBytes
        sendCount += 1
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !flushScheduled {
            flushScheduled = true
            // Writes caused by other connections (deliveries) are flushed once after the current task.
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { bound.value.flush() }
        }
    }

    private func flush() {
        guard flushScheduled, let context else { return }
        flushScheduled = false
        context.flush()
    }

    /// Sends pending confirms after the current task, once however many channels ask.
    func flushConfirmsSoon() {
        guard !confirmFlushScheduled, let context else { return }
        confirmFlushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.confirmFlushScheduled = false
            bound.value.flushConfirms()
        }
    }

    func flushConfirms() {
        guard !channelsWithPendingConfirms.isEmpty else { return }
        for id in channelsWithPendingConfirms { channels[id]?.flushConfirms() }
        channelsWithPendingConfirms.removeAll(keepingCapacity: true)
    }

    // MARK: Closing

    /// Closes the connection with a hard error: connection.close, then wait briefly for close-ok.
    func closeConnection(_ error: BrokerError) {
        guard phase != .closing && phase != .closed && phase != .refused else { return }
        flushConfirms()
        phase = .closing
        send(channel: 0, ConnectionClose(replyCode: error.code.rawValue,
                                         replyText: error.replyText.truncatedToShortString,
                                         classID: error.classID, methodID: error.methodID))
        flush()
        releaseResources()
        scheduleCloseTimeout()
    }

    private func scheduleCloseTimeout(seconds: Int64 = 3) {
        scheduleClose(in: .seconds(seconds))
    }

    private func scheduleClose(in delay: TimeAmount) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        closeTimeout = context.eventLoop.scheduleTask(in: delay) { bound.value.closeSocket() }
    }

    /// As RabbitMQ's reader after a refused login: connection.close (403) for a client that
    /// said it can take one, then nothing is read, close-ok included, and the socket is closed
    /// only after ``BrokerConfiguration/authenticationFailureDelay``, so one connection cannot
    /// try passwords quickly. The reason goes to the broker's log, not to the client.
    private func refuseLogin(_ error: BrokerError, sendClose: Bool, logged: String) {
        phase = .refused
        handshakeTimeout?.cancel()
        let peer = peerAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        broker.configuration.log?("refused the login of connection \(peer)\(overTLS ? " (TLS)" : ""): \(logged)")
        if sendClose {
            send(channel: 0, ConnectionClose(replyCode: error.code.rawValue, replyText: error.replyText,
                                             classID: 10, methodID: 11))
            flush()
        }
        scheduleClose(in: broker.configuration.authenticationFailureDelay)
    }

    private func closeSocket() {
        guard phase != .closed else { return }
        phase = .closed
        flush()
        closeTimeout?.cancel()
        handshakeTimeout?.cancel()
        context?.close(promise: nil)
        releaseResources()
    }

    private func tearDown() {
        vhost?.closedReceivedOctets += receivedOctets
        vhost?.closedSentOctets += sentOctets
        phase = .closed
        closeTimeout?.cancel()
        handshakeTimeout?.cancel()
        flowTimer?.cancel()
        for queue in flowPausedOn { queue.flowPaused[ObjectIdentifier(self)] = nil }
        flowPausedOn = []
        releaseResources()
        broker.unregister(self)
    }

    /// Requeues unacked messages, cancels consumers and deletes exclusive queues. Idempotent.
    private func releaseResources() {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        let open = channels
        channels = [:]
        for channel in open.values.sorted(by: { $0.id < $1.id }) { channel.close() }
        let exclusive = exclusiveQueues
        exclusiveQueues = []
        for queue in exclusive { queue.vhost.deleteQueue(queue) }
    }

    // MARK: Heartbeats

    private func startHeartbeats(_ seconds: UInt16) {
        guard seconds > 0, let context else { return }
        let half = TimeAmount.milliseconds(Int64(seconds) * 500)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
            bound.value.heartbeatTick()
        }
    }

    private func heartbeatTick() {
        if !didWrite, let context {
            var beat = context.channel.allocator.buffer(capacity: 8)
            beat.writeHeartbeatFrame()
            write(beat)
            flush()
        }
        didWrite = false
        // A blocked connection is not read from, so its silence is ours, not the client's.
        silentTicks = didRead || isBlocked || isInFlow ? 0 : silentTicks + 1
        didRead = false
        // Five silent half-interval ticks, 2.5 to 3 intervals since the last byte read: the
        // client is gone. RabbitMQ's receiver drops after two missed once-an-interval checks,
        // 2 to 3 intervals of silence; it just drops the socket.
        if silentTicks >= 5 { closeSocket() }
    }

    /// Broker shutdown: tell the client why, as RabbitMQ does.
    func forceClose() {
        closeConnection(BrokerError(.connectionForced, "broker forced connection closure with reason 'shutdown'"))
    }
}
