import NIOCore
import NIOPosix
import WarrenWire

/// A TCP connection to the broker that sends exactly the bytes a test scripts, and decodes what
/// comes back with WarrenWire's ``FrameDecoder``. Every read has a deadline, so a broker that
/// never answers fails the test instead of hanging it.
///
/// It runs on NIO rather than a blocking socket: the tests are async, and a blocking `recv` would
/// hold one of the two cooperative threads this machine has, starving the healthy client.
final class RawAMQPConnection: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Long: it only bounds a wait for something that does happen, and on a loaded 2-core machine
    /// running the whole suite a reply can take seconds.
    static let defaultTimeout = TimeAmount.seconds(20)

    let channel: any Channel
    private let collector: NIOLoopBound<ByteCollector>

    private init(channel: any Channel, collector: NIOLoopBound<ByteCollector>) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawAMQPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ByteCollector()) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ByteCollector.self), eventLoop: channel.eventLoop)
        }.get()
        return RawAMQPConnection(channel: channel, collector: collector)
    }

    /// Connects, logs in as guest, tunes (echoing the broker's limits unless told otherwise) and
    /// opens vhost "/".
    static func open(port: Int, heartbeat: UInt16 = 0, frameMax: UInt32? = nil) async throws -> RawAMQPConnection {
        let raw = try await connect(port: port)
        let tune = try await raw.login()
        try await raw.send(ConnectionTuneOk(channelMax: tune.channelMax, frameMax: frameMax ?? tune.frameMax,
                                            heartbeat: heartbeat))
        try await raw.send(ConnectionOpen(virtualHost: "/"))
        try await raw.expect("connection.open-ok") { if case .connectionOpenOk = $0 { true } else { false } }
        return raw
    }

    // MARK: Writing

    func write(_ bytes: [UInt8]) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }

    func write(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer)
    }

    func send<Method: AMQPMethodArguments>(_ method: Method, channel id: UInt16 = 0) async throws {
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(channel: id, method)
        try await write(buffer)
    }

    /// One frame with any type, payload and end octet: the way to say something malformed.
    static func frame(type: UInt8, channel: UInt16, payload: [UInt8], end: UInt8 = FrameConstants.end) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        buffer.writeInteger(end)
        return buffer
    }

    /// Sends the protocol header and start-ok; returns the broker's connection.tune.
    func login(username: String = "guest", password: String = "guest", capabilities: FieldTable = [:]) async throws
        -> ConnectionTune
    {
        try await write(ProtocolHeader.bytes)
        try await expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
        let response = ByteBuffer(bytes: [0] + Array(username.utf8) + [0] + Array(password.utf8))
        try await send(ConnectionStartOk(clientProperties: ["capabilities": .table(capabilities)], response: response))
        guard case .connectionTune(let tune)? = try await nextMethod() else { throw Failure(description: "no tune") }
        return tune
    }

    func openChannel(_ id: UInt16) async throws {
        try await send(ChannelOpen(), channel: id)
        try await expect("channel.open-ok") { if case .channelOpenOk = $0 { true } else { false } }
    }

    /// Drops the TCP connection; with `reset`, with an RST rather than a FIN.
    func abort(reset: Bool = false) async {
        if reset, let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    // MARK: Reading

    private enum Inbound: Sendable {
        case frame(Frame)
        case closed
    }

    /// The next frame, or nil once the broker closed the socket and every whole frame was read.
    func nextFrame(timeout: TimeAmount = defaultTimeout) async throws -> Frame? {
        let decoder = FrameDecoder(frameMax: 0)
        let inbound = try await wait(timeout: timeout, for: "a frame") { collector -> Inbound? in
            if let frame = try decoder.decodeFrame(from: &collector.received) { return .frame(frame) }
            return collector.isClosed ? .closed : nil
        }
        if case .frame(let frame) = inbound { return frame }
        return nil
    }

    /// The next method frame's method (heartbeats and content frames are skipped), or nil once the
    /// socket closed.
    func nextMethod(timeout: TimeAmount = defaultTimeout) async throws -> AMQPMethod? {
        while let frame = try await nextFrame(timeout: timeout) {
            if case .method(_, let method) = frame { return method }
        }
        return nil
    }

    func expect(_ what: String, timeout: TimeAmount = defaultTimeout, _ matches: (AMQPMethod) -> Bool) async throws {
        guard let method = try await nextMethod(timeout: timeout) else {
            throw Failure(description: "socket closed while waiting for \(what)")
        }
        guard matches(method) else { throw Failure(description: "expected \(what), got \(method)") }
    }

    /// Reads until connection.close, answers close-ok, and waits for the broker to drop the socket.
    func expectConnectionClose(timeout: TimeAmount = defaultTimeout) async throws -> ConnectionClose {
        while let method = try await nextMethod(timeout: timeout) {
            if case .connectionClose(let close) = method {
                try? await send(ConnectionCloseOk())
                try await waitUntilClosed(timeout: timeout)
                return close
            }
        }
        throw Failure(description: "socket closed without connection.close")
    }

    /// Waits for the broker to close the socket; returns every byte not read as frames yet.
    @discardableResult
    func waitUntilClosed(timeout: TimeAmount = defaultTimeout) async throws -> [UInt8] {
        try await wait(timeout: timeout, for: "the socket to close") { collector -> [UInt8]? in
            guard collector.isClosed else { return nil }
            return Array(collector.received.readableBytesView)
        }
    }

    var isClosed: Bool {
        get async throws {
            let collector = self.collector
            return try await channel.eventLoop.submit { collector.value.isClosed }.get()
        }
    }

    /// Polls the collected bytes on the event loop each time more arrive, until `poll` returns a
    /// value or the deadline passes.
    private func wait<Result: Sendable>(
        timeout: TimeAmount, for what: String, _ poll: @escaping @Sendable (ByteCollector) throws -> Result?
    ) async throws -> Result {
        let deadline = NIODeadline.now() + timeout
        let collector = self.collector
        let loop = channel.eventLoop
        while true {
            let result = try await loop.flatSubmit { () -> EventLoopFuture<Result?> in
                do {
                    if let value = try poll(collector.value) { return loop.makeSucceededFuture(value) }
                } catch {
                    return loop.makeFailedFuture(error)
                }
                guard NIODeadline.now() < deadline else {
                    return loop.makeFailedFuture(Failure(description: "timed out waiting for \(what)"))
                }
                let promise = loop.makePromise(of: Void.self)
                collector.value.waiter?.succeed()
                collector.value.waiter = promise
                let timer = loop.scheduleTask(deadline: deadline) { collector.value.wake() }
                return promise.futureResult.map { timer.cancel(); return nil }
            }.get()
            if let result { return result }
        }
    }
}

/// Keeps everything the broker sent, and whether it closed the socket.
final class ByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var received = ByteBuffer()
    var isClosed = false
    var waiter: EventLoopPromise<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        wake()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        wake()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset from the broker: the socket is as good as closed.
        context.close(promise: nil)
    }

    func wake() {
        waiter?.succeed()
        waiter = nil
    }
}
