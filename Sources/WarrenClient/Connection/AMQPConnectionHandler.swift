import NIOCore

/// The NIO handler behind an ``AMQPConnection``: decodes frames, runs the handshake, routes
/// commands to channels, answers the broker's requests and keeps heartbeats. All its state lives
/// on the connection's event loop; the public API reaches it through `NIOLoopBoundBox`.
final class AMQPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let configuration: AMQPConnectionConfiguration
    var handshake: HandshakeStateMachine
    let connectPromise: EventLoopPromise<(AMQPNegotiatedParameters, FieldTable)>
    let connectionShared: ConnectionShared
    let blocking: AsyncStream<AMQPBlockingEvent>.Continuation

    var context: ChannelHandlerContext?
    var readBuffer: ByteBuffer?
    var decoder = FrameDecoder()
    var assembler = CommandAssembler(maximumBodySize: 512 * 1024 * 1024)
    var negotiated: AMQPNegotiatedParameters?
    var channels: [UInt16: ChannelRecord] = [:]
    var closePromise: EventLoopPromise<Void>?
    var closeTimeout: Scheduled<Void>?
    var finalError: AMQPClientError?
    /// Set once the broker answered this client's `connection.close`: a clean end.
    var closedByClient = false
    var flushScheduled = false
    var writableWaiters: [EventLoopPromise<Void>] = []

    var heartbeatTask: RepeatedTask?
    var didRead = false
    var didWrite = false
    var silentTicks = 0

    init(
        configuration: AMQPConnectionConfiguration, clientProperties: FieldTable,
        connectPromise: EventLoopPromise<(AMQPNegotiatedParameters, FieldTable)>,
        connectionShared: ConnectionShared, blocking: AsyncStream<AMQPBlockingEvent>.Continuation
    ) {
        self.configuration = configuration
        self.handshake = HandshakeStateMachine(configuration: configuration, clientProperties: clientProperties)
        self.connectPromise = connectPromise
        self.connectionShared = connectionShared
        self.blocking = blocking
    }

    // MARK: NIO events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { sendProtocolHeader(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendProtocolHeader(context)
        context.fireChannelActive()
    }

    private func sendProtocolHeader(_ context: ChannelHandlerContext) {
        guard readBuffer == nil else { return }
        readBuffer = context.channel.allocator.buffer(capacity: 4096)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: ProtocolHeader.bytes)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        didRead = true
        if readBuffer == nil || readBuffer!.readableBytes == 0 {
            readBuffer = incoming
        } else {
            readBuffer!.writeBuffer(&incoming)
        }
        do {
            while finalError == nil, let frame = try decoder.decodeFrame(from: &readBuffer!) {
                try receive(frame, context: context)
            }
        } catch let error as AMQPWireError {
            fail(.protocolError(error), sendClose: error.replyCode)
        } catch let error as AMQPClientError {
            fail(error, sendClose: ReplyCode.commandInvalid.rawValue)
        } catch {
            fail(.connectionClosed(reason: "\(error)"), sendClose: ReplyCode.internalError.rawValue)
        }
        if readBuffer?.readableBytes == 0 {
            readBuffer = nil
        } else {
            readBuffer?.discardReadBytes()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiters = writableWaiters
            writableWaiters = []
            for waiter in waiters { waiter.succeed() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error: AMQPClientError
        if let finalError {
            error = finalError
        } else if !handshake.isOpen {
            error = handshake.socketClosed()
        } else {
            error = .connectionClosed(reason: "the broker closed the socket")
        }
        tearDown(error)
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if handshake.isOpen {
            fail(.connectionClosed(reason: describe(error)), sendClose: nil)
        } else {
            // Before the handshake completes this is a failure to connect (e.g. TLS verification).
            fail(.connectFailed(host: configuration.host, port: configuration.port, reason: describe(error)),
                 sendClose: nil)
        }
    }

    // MARK: Frames and commands

    private func receive(_ frame: Frame, context: ChannelHandlerContext) throws {
        if case .heartbeat = frame { return }
        guard let command = try assembler.assemble(frame) else { return }
        if command.channel == 0 {
            try receiveConnectionMethod(command.method, context: context)
        } else {
            try receiveChannelCommand(command)
        }
    }

    private func receiveConnectionMethod(_ method: AMQPMethod, context: ChannelHandlerContext) throws {
        guard handshake.isOpen else {
            switch handshake.received(method) {
            case .send(let methods):
                for method in methods { try write(channel: 0, method) }
                flushIfNeeded()
            case .sendAndApply(let methods, let parameters):
                for method in methods { try write(channel: 0, method) }
                flushIfNeeded()
                negotiated = parameters
                decoder.frameMax = parameters.frameMax
            case .opened(let parameters, let serverProperties):
                startHeartbeats(parameters.heartbeat, context: context)
                connectPromise.succeed((parameters, serverProperties))
            case .fail(let error):
                switch error {
                case .connectionClosedByServer, .authenticationFailed:
                    try? write(channel: 0, ConnectionCloseOk().method)
                    fail(error, sendClose: nil)
                case .unexpectedMethod:
                    fail(error, sendClose: ReplyCode.commandInvalid.rawValue)
                default:
                    fail(error, sendClose: nil)
                }
            }
            return
        }
        switch method {
        case .connectionClose(let close):
            try write(channel: 0, ConnectionCloseOk().method)
            let reason = AMQPCloseReason(replyCode: close.replyCode, replyText: close.replyText,
                                         classID: close.classID, methodID: close.methodID)
            fail(.connectionClosedByServer(reason), sendClose: nil)
        case .connectionCloseOk:
            closeTimeout?.cancel()
            closedByClient = true
            finalError = .connectionClosed(reason: "closed by this client")
            context.close(promise: nil)
        case .connectionBlocked(let blocked):
            connectionShared.state.withLock { $0.blockedReason = blocked.reason }
            blocking.yield(.blocked(reason: blocked.reason))
        case .connectionUnblocked:
            connectionShared.state.withLock { $0.blockedReason = nil }
            blocking.yield(.unblocked)
        case .connectionUpdateSecretOk:
            break
        default:
            throw AMQPClientError.unexpectedMethod("\(method.name) on channel 0")
        }
    }

    // MARK: Writing

    func write(channel: UInt16, _ method: AMQPMethod) throws(AMQPWireError) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try buffer.writeFrame(.method(channel: channel, method))
        write(buffer)
    }

    func write(_ bytes: ByteBuffer) {
        guard let context else { return }
        didWrite = true
        context.write(wrapOutboundOut(bytes), promise: nil)
        if !flushScheduled {
            flushScheduled = true
            // Queued behind whatever publishes are already waiting, so a burst shares one flush.
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { bound.value.flushIfNeeded() }
        }
    }

    func flushIfNeeded() {
        guard flushScheduled, let context else { return }
        flushScheduled = false
        context.flush()
    }

    func whenWritable(_ promise: EventLoopPromise<Void>) {
        guard let context, finalError == nil else {
            promise.fail(finalError ?? .connectionClosed(reason: "not connected"))
            return
        }
        if context.channel.isWritable { promise.succeed() } else { writableWaiters.append(promise) }
    }

    // MARK: Failure

    /// Ends the connection: optionally tells the broker why, then closes the socket.
    func fail(_ error: AMQPClientError, sendClose replyCode: UInt16?) {
        guard finalError == nil else { return }
        finalError = error
        if let replyCode, context != nil {
            let text: String
            if case .protocolError(let wireError) = error { text = wireError.replyText } else { text = "\(error)" }
            let close = ConnectionClose(replyCode: replyCode, replyText: String(text.utf8.prefix(255)) ?? "error",
                                        classID: 0, methodID: 0)
            try? write(channel: 0, close.method)
        }
        flushIfNeeded()
        context?.close(promise: nil)
        tearDown(error)
    }

    func tearDown(_ error: AMQPClientError) {
        if finalError == nil { finalError = error }
        heartbeatTask?.cancel()
        heartbeatTask = nil
        closeTimeout?.cancel()
        connectionShared.state.withLock { if $0.closedError == nil { $0.closedError = error } }
        connectPromise.fail(error)
        let clean = closedByClient
        for record in channels.values { record.tearDown(clean ? nil : error) }
        channels = [:]
        for waiter in writableWaiters { waiter.fail(error) }
        writableWaiters = []
        blocking.finish()
        if let closePromise {
            self.closePromise = nil
            if clean { closePromise.succeed() } else { closePromise.fail(error) }
        }
    }
}
