import NIOCore

/// A channel of an ``AMQPConnection``: where exchanges and queues are declared, messages
/// published, fetched and consumed.
///
/// A channel the broker closes (for example 404 on a missing queue) stays closed: every later
/// call throws ``AMQPClientError/channelClosedByServer(_:)`` with the broker's reason. Open a new
/// channel to carry on; the connection is unaffected.
public final class AMQPChannel: Sendable {
    public let connection: AMQPConnection
    public let id: UInt16
    /// Messages the broker returned (`basic.return`), in arrival order. With publisher confirms,
    /// a message's return arrives before its ack.
    public let returns: AsyncStream<AMQPReturnedMessage>
    let shared: ChannelShared

    init(connection: AMQPConnection, id: UInt16, shared: ChannelShared, returns: AsyncStream<AMQPReturnedMessage>) {
        self.connection = connection
        self.id = id
        self.shared = shared
        self.returns = returns
    }

    /// Why the channel stopped working, once it has.
    public var closedError: AMQPClientError? {
        shared.state.withLock { $0.closedError }
    }

    public var isOpen: Bool { closedError == nil }

    public var isConfirmMode: Bool {
        shared.state.withLock { $0.confirmMode }
    }

    // MARK: Plumbing

    func checkOpen() throws(AMQPClientError) {
        if let error = closedError { throw error }
        try connection.checkOpen()
    }

    func encode<Method: AMQPMethodArguments>(_ method: Method) throws(AMQPClientError) -> ByteBuffer {
        var buffer = ByteBuffer()
        do {
            try buffer.writeMethodFrame(channel: id, method)
        } catch {
            throw .invalidArgument(error.detail)
        }
        return buffer
    }

    /// Sends a synchronous request and waits for the answer, or for the channel to close.
    func call<Method: AMQPMethodArguments>(
        _ request: Method, answers: [(UInt16, UInt16)],
        consumer: EventSink<AMQPDelivery>? = nil
    ) async throws(AMQPClientError) -> Command {
        try checkOpen()
        let bytes = try encode(request)
        let promise = connection.eventLoop.makePromise(of: Command.self)
        let id = self.id
        connection.onLoop { $0.call(channel: id, request: bytes, answers: answers, promise: promise, consumer: consumer) }
        do {
            return try await AMQPConnection.await(promise.futureResult)
        } catch .channelClosed {
            // The broker's channel.close may have arrived just before this request: report its reason.
            throw closedError ?? .channelClosed
        }
    }

    /// Sends a method that has no answer.
    func send<Method: AMQPMethodArguments>(_ method: Method) async throws(AMQPClientError) {
        try checkOpen()
        let bytes = try encode(method)
        try await connection.awaitCapacity()
        connection.submit(channel: id, bytes: bytes)
    }

    // MARK: Channel

    /// Closes the channel cleanly. Consumers on it end; unacked messages go back to their queues.
    public func close() async throws(AMQPClientError) {
        guard closedError == nil else { return }
        let promise = connection.eventLoop.makePromise(of: Void.self)
        let id = self.id
        connection.onLoop { $0.closeChannel(id, promise: promise) }
        try await AMQPConnection.await(promise.futureResult)
    }

    /// `channel.flow`. RabbitMQ refuses `active: false` with 540 NOT_IMPLEMENTED.
    @discardableResult
    public func flow(active: Bool) async throws(AMQPClientError) -> Bool {
        let answer = try await call(ChannelFlow(active: active), answers: [(20, 21)])
        guard case .channelFlowOk(let ok) = answer.method else { return active }
        return ok.active
    }

    // MARK: Acknowledgements

    public func ack(deliveryTag: UInt64, multiple: Bool = false) async throws(AMQPClientError) {
        try await send(BasicAck(deliveryTag: deliveryTag, multiple: multiple))
    }

    public func nack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool = true) async throws(AMQPClientError) {
        try await send(BasicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue))
    }

    public func reject(deliveryTag: UInt64, requeue: Bool = true) async throws(AMQPClientError) {
        try await send(BasicReject(deliveryTag: deliveryTag, requeue: requeue))
    }

    /// `basic.recover`: redeliver every unacked message of this channel. RabbitMQ supports only
    /// `requeue: true`.
    public func recover(requeue: Bool = true) async throws(AMQPClientError) {
        _ = try await call(BasicRecover(requeue: requeue), answers: [(60, 111)])
    }

    /// `basic.qos`. `global: false` limits each consumer started afterwards; `global: true` limits
    /// the whole channel (RabbitMQ's reading of the flag).
    public func qos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false) async throws(AMQPClientError) {
        _ = try await call(BasicQos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, global: global),
                           answers: [(60, 11)])
    }

    // MARK: Transactions

    public func txSelect() async throws(AMQPClientError) {
        _ = try await call(TxSelect(), answers: [(90, 11)])
    }

    public func txCommit() async throws(AMQPClientError) {
        _ = try await call(TxCommit(), answers: [(90, 21)])
    }

    public func txRollback() async throws(AMQPClientError) {
        _ = try await call(TxRollback(), answers: [(90, 31)])
    }
}
