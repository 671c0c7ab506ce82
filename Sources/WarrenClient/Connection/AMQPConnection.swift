import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the public connection handle reads without going to the event loop.
final class ConnectionShared: Sendable {
    struct State {
        var closedError: AMQPClientError?
        var blockedReason: String?
    }

    /// Encoded frames handed over by callers and not yet taken by the event loop. One loop task
    /// takes everything queued so far, so a fast publisher costs one thread hop per batch rather
    /// than one per message.
    struct Outbox {
        var frames: [(channel: UInt16, bytes: ByteBuffer, publishSequence: UInt64)] = []
        var drainScheduled = false
    }

    let state = Mutex(State())
    let outbox = Mutex(Outbox())
    /// Frames handed to the event loop and not yet written; bounds what a fast publisher queues.
    let queuedWrites = Atomic<Int>(0)
}

/// A connection to an AMQP 0-9-1 broker.
///
///     let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@localhost:5672/")
///     let channel = try await connection.openChannel()
///     try await channel.queueDeclare("jobs", durable: true)
///     try await channel.publish(ByteBuffer(string: "hello"), routingKey: "jobs")
///     try await connection.close()
public final class AMQPConnection: Sendable {
    public let configuration: AMQPConnectionConfiguration
    /// The limits agreed in `connection.tune`.
    public let negotiated: AMQPNegotiatedParameters
    /// The broker's `server-properties` (product, version, capabilities, cluster_name ...).
    public let serverProperties: FieldTable
    /// `connection.blocked` / `unblocked` as they arrive; ends when the connection closes.
    public let blockingEvents: AsyncStream<AMQPBlockingEvent>

    let nioChannel: any Channel
    let handler: NIOLoopBoundBox<AMQPConnectionHandler>
    let shared: ConnectionShared

    var eventLoop: any EventLoop { nioChannel.eventLoop }

    private init(
        configuration: AMQPConnectionConfiguration, negotiated: AMQPNegotiatedParameters, serverProperties: FieldTable,
        blockingEvents: AsyncStream<AMQPBlockingEvent>, nioChannel: any Channel,
        handler: NIOLoopBoundBox<AMQPConnectionHandler>, shared: ConnectionShared
    ) {
        self.configuration = configuration
        self.negotiated = negotiated
        self.serverProperties = serverProperties
        self.blockingEvents = blockingEvents
        self.nioChannel = nioChannel
        self.handler = handler
        self.shared = shared
    }

    /// Connects with an AMQP URI (see ``AMQPURL``).
    public static func connect(
        to url: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(AMQPClientError) -> AMQPConnection {
        try await connect(configuration: AMQPConnectionConfiguration(url: url), eventLoopGroup: eventLoopGroup)
    }

    /// Connects, logs in and opens the virtual host.
    public static func connect(
        configuration: AMQPConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(AMQPClientError) -> AMQPConnection {
        let eventLoop = eventLoopGroup.next()
        let connectPromise = eventLoop.makePromise(of: (AMQPNegotiatedParameters, FieldTable).self)
        let shared = ConnectionShared()
        let (blockingEvents, blocking) = AsyncStream<AMQPBlockingEvent>.makeStream()
        let handler = NIOLoopBoundBox.makeBoxSendingValue(
            AMQPConnectionHandler(
                configuration: configuration, clientProperties: clientProperties(configuration),
                connectPromise: connectPromise, connectionShared: shared, blocking: blocking),
            eventLoop: eventLoop)
        let sslContext: NIOSSLContext?
        do {
            sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw .connectFailed(host: configuration.host, port: configuration.port, reason: "TLS setup: \(error)")
        }
        let serverName = configuration.tlsServerName ?? configuration.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectionTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : serverName)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
        let deadline = NIODeadline.now() + configuration.connectionTimeout
        let nioChannel: any Channel
        do {
            nioChannel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch let error as ChannelError where error == .connectTimeout(configuration.connectionTimeout) {
            throw .connectionTimeout(host: configuration.host, port: configuration.port)
        } catch {
            throw .connectFailed(host: configuration.host, port: configuration.port, reason: describe(error))
        }
        let timeout = eventLoop.scheduleTask(deadline: deadline) {
            connectPromise.fail(AMQPClientError.connectionTimeout(host: configuration.host, port: configuration.port))
            nioChannel.close(promise: nil)
        }
        do {
            let (negotiated, serverProperties) = try await connectPromise.futureResult.get()
            timeout.cancel()
            return AMQPConnection(
                configuration: configuration, negotiated: negotiated, serverProperties: serverProperties,
                blockingEvents: blockingEvents, nioChannel: nioChannel, handler: handler, shared: shared)
        } catch {
            timeout.cancel()
            nioChannel.close(promise: nil)
            throw error as? AMQPClientError ?? .connectionClosed(reason: describe(error))
        }
    }

    static func clientProperties(_ configuration: AMQPConnectionConfiguration) -> FieldTable {
        var properties: FieldTable = [
            "product": "Warren",
            "version": .string(WarrenClientVersion.current),
            "platform": "Swift",
            "information": "Warren's AMQP 0-9-1 client",
            "capabilities": .table([
                "publisher_confirms": true,
                "exchange_exchange_bindings": true,
                "basic.nack": true,
                "consumer_cancel_notify": true,
                "connection.blocked": true,
                "authentication_failure_close": true,
                "per_consumer_qos": true,
            ]),
        ]
        if let name = configuration.connectionName { properties["connection_name"] = .string(name) }
        return properties
    }

    /// The reason the connection ended, once it has.
    public var closedError: AMQPClientError? {
        shared.state.withLock { $0.closedError }
    }

    public var isOpen: Bool { closedError == nil }

    /// The reason given by `connection.blocked`, while the broker blocks this connection.
    public var blockedReason: String? {
        shared.state.withLock { $0.blockedReason }
    }

    /// Opens a new channel.
    public func openChannel() async throws(AMQPClientError) -> AMQPChannel {
        try checkOpen()
        let channelShared = ChannelShared()
        let (returns, returnsContinuation) = AsyncStream<AMQPReturnedMessage>.makeStream()
        let promise = eventLoop.makePromise(of: UInt16.self)
        let handler = self.handler
        eventLoop.execute {
            handler.value.openChannel(shared: channelShared, returns: returnsContinuation, promise: promise)
        }
        let id = try await Self.await(promise.futureResult)
        return AMQPChannel(connection: self, id: id, shared: channelShared, returns: returns)
    }

    /// Closes the connection cleanly (`connection.close`, then waits for `close-ok`).
    public func close() async throws(AMQPClientError) {
        let promise = eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        eventLoop.execute { handler.value.closeConnection(promise: promise) }
        try await Self.await(promise.futureResult)
    }

    func checkOpen() throws(AMQPClientError) {
        if let error = closedError { throw error }
    }

    /// Waits for a future and maps its error to ``AMQPClientError``.
    static func await<T: Sendable>(_ future: EventLoopFuture<T>) async throws(AMQPClientError) -> T {
        do {
            return try await future.get()
        } catch {
            throw error as? AMQPClientError ?? .connectionClosed(reason: describe(error))
        }
    }

    /// Runs `body` on the event loop with the handler.
    func onLoop(_ body: @escaping @Sendable (AMQPConnectionHandler) -> Void) {
        let handler = self.handler
        eventLoop.execute { body(handler.value) }
    }

    /// Waits while the socket is backed up or many frames are queued for the event loop, so a
    /// publisher that outruns the broker is slowed down instead of filling memory.
    func awaitCapacity() async throws(AMQPClientError) {
        if shared.queuedWrites.load(ordering: .relaxed) > 512 || !nioChannel.isWritable {
            let promise = eventLoop.makePromise(of: Void.self)
            onLoop { $0.whenWritable(promise) }
            try await Self.await(promise.futureResult)
        }
    }

    /// Hands encoded frames to the event loop. Frames are written in the order of these calls.
    func submit(channel: UInt16, bytes: ByteBuffer, publishSequence: UInt64 = 0) {
        shared.queuedWrites.add(1, ordering: .relaxed)
        let mustSchedule = shared.outbox.withLock { outbox -> Bool in
            outbox.frames.append((channel, bytes, publishSequence))
            guard !outbox.drainScheduled else { return false }
            outbox.drainScheduled = true
            return true
        }
        if mustSchedule { scheduleDrain() }
    }

    /// Hands several encoded publishes (or other frames) to the event loop at once.
    func submit(channel: UInt16, frames: [(bytes: ByteBuffer, publishSequence: UInt64)]) {
        shared.queuedWrites.add(frames.count, ordering: .relaxed)
        let mustSchedule = shared.outbox.withLock { outbox -> Bool in
            for frame in frames { outbox.frames.append((channel, frame.bytes, frame.publishSequence)) }
            guard !outbox.drainScheduled else { return false }
            outbox.drainScheduled = true
            return true
        }
        if mustSchedule { scheduleDrain() }
    }

    private func scheduleDrain() {
        let shared = self.shared
        onLoop { handler in
            let frames = shared.outbox.withLock { outbox in
                outbox.drainScheduled = false
                return outbox.frames.isEmpty ? [] : Swift.exchange(&outbox.frames, with: [])
            }
            shared.queuedWrites.subtract(frames.count, ordering: .relaxed)
            for frame in frames {
                handler.send(channel: frame.channel, bytes: frame.bytes, publishSequence: frame.publishSequence)
            }
        }
    }
}

func describe(_ error: any Error) -> String {
    if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
    if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
        return describe(first.error)
    }
    return "\(error)"
}

/// The client's version, sent in `client-properties`.
public enum WarrenClientVersion {
    public static let current = "0.1.0"
}
