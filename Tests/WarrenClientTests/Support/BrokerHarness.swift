import NIOCore
import NIOEmbedded
import Testing

@testable import WarrenClient

/// An ``AMQPConnectionHandler`` on an `EmbeddedChannel`, set up as `AMQPConnection.connect` sets
/// it up, with the test playing the broker. Use from one thread only (a synchronous test).
final class BrokerHarness {
    let channel: EmbeddedChannel
    let handler: AMQPConnectionHandler
    let connectPromise: EventLoopPromise<(AMQPNegotiatedParameters, FieldTable)>
    let shared = ConnectionShared()
    let blockingEvents: AsyncStream<AMQPBlockingEvent>
    let configuration: AMQPConnectionConfiguration

    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    init(configuration: AMQPConnectionConfiguration = AMQPConnectionConfiguration(heartbeat: 0)) throws {
        self.configuration = configuration
        let loop = EmbeddedEventLoop()
        connectPromise = loop.makePromise()
        let (events, continuation) = AsyncStream<AMQPBlockingEvent>.makeStream()
        blockingEvents = events
        handler = AMQPConnectionHandler(
            configuration: configuration, clientProperties: AMQPConnection.clientProperties(configuration),
            connectPromise: connectPromise, connectionShared: shared, blocking: continuation)
        channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5672)).wait()
    }

    /// Everything the client wrote and flushed since the last call.
    func written() throws -> [UInt8] {
        loop.run()
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.bytes }
        return bytes
    }

    /// The frames the client wrote since the last call.
    func frames() throws -> [Frame] {
        var buffer = ByteBuffer(bytes: try written())
        let decoder = FrameDecoder(frameMax: 0)
        var frames: [Frame] = []
        while let frame = try decoder.decodeFrame(from: &buffer) { frames.append(frame) }
        #expect(buffer.readableBytes == 0, "a partial frame was written")
        return frames
    }

    /// The methods the client wrote since the last call, with their channels.
    func methods() throws -> [(channel: UInt16, method: AMQPMethod)] {
        try frames().compactMap { frame in
            guard case .method(let channel, let method) = frame else {
                Issue.record("expected a method frame, got \(frame)")
                return nil
            }
            return (channel, method)
        }
    }

    func send(channel id: UInt16 = 0, _ method: AMQPMethod) throws {
        try channel.writeInbound(frameBytes(channel: id, method))
    }

    func send(bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Plays the broker through start, tune and open-ok; checks what the client sends on the way.
    func handshake(
        tune: ConnectionTune = ConnectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)
    ) throws {
        #expect(try written() == ProtocolHeader.bytes)
        try send(connectionStart())
        let startOk = try methods()
        #expect(startOk.count == 1 && startOk.first?.method.name == "connection.start-ok")
        try send(tune.method)
        #expect(try methods().map(\.method.name) == ["connection.tune-ok", "connection.open"])
        try send(ConnectionOpenOk().method)
        #expect(try written() == [])
        #expect(handler.handshake.isOpen)
    }

    /// The error the connection ended with, if it has.
    var closedError: AMQPClientError? { shared.state.withLock { $0.closedError } }

    /// Closes the channel if still open and runs what is left on the loop.
    func finish() throws {
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
