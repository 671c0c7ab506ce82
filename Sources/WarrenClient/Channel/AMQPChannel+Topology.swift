import NIOCore

// Exchanges, queues and bindings.
extension AMQPChannel {
    /// `exchange.declare`. With `passive: true` only checks that the exchange exists (404 if not).
    public func exchangeDeclare(
        _ name: String, type: String = "direct", passive: Bool = false, durable: Bool = false,
        autoDelete: Bool = false, internal: Bool = false, arguments: FieldTable = [:]
    ) async throws(AMQPClientError) {
        _ = try await call(
            ExchangeDeclare(exchange: name, type: type, passive: passive, durable: durable, autoDelete: autoDelete,
                            internal: `internal`, arguments: arguments),
            answers: [(40, 11)])
    }

    public func exchangeDelete(_ name: String, ifUnused: Bool = false) async throws(AMQPClientError) {
        _ = try await call(ExchangeDelete(exchange: name, ifUnused: ifUnused), answers: [(40, 21)])
    }

    /// Binds exchange `destination` to exchange `source` (RabbitMQ's exchange-to-exchange binding).
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws(AMQPClientError) {
        _ = try await call(
            ExchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments),
            answers: [(40, 31)])
    }

    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws(AMQPClientError) {
        _ = try await call(
            ExchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments),
            answers: [(40, 51)])
    }

    /// `queue.declare`. An empty name asks the broker to name the queue (`amq.gen-...`).
    @discardableResult
    public func queueDeclare(
        _ name: String = "", passive: Bool = false, durable: Bool = false, exclusive: Bool = false,
        autoDelete: Bool = false, arguments: FieldTable = [:]
    ) async throws(AMQPClientError) -> AMQPQueueDeclareResult {
        let answer = try await call(
            QueueDeclare(queue: name, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete,
                         arguments: arguments),
            answers: [(50, 11)])
        guard case .queueDeclareOk(let ok) = answer.method else { throw .unexpectedMethod(answer.method.name) }
        return AMQPQueueDeclareResult(queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount)
    }

    public func queueBind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws(AMQPClientError) {
        _ = try await call(
            QueueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments),
            answers: [(50, 21)])
    }

    public func queueUnbind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws(AMQPClientError) {
        _ = try await call(
            QueueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments),
            answers: [(50, 51)])
    }

    /// Removes every ready message; returns how many there were.
    @discardableResult
    public func queuePurge(_ queue: String) async throws(AMQPClientError) -> UInt32 {
        let answer = try await call(QueuePurge(queue: queue), answers: [(50, 31)])
        guard case .queuePurgeOk(let ok) = answer.method else { throw .unexpectedMethod(answer.method.name) }
        return ok.messageCount
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws(AMQPClientError)
        -> UInt32
    {
        let answer = try await call(QueueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty), answers: [(50, 41)])
        guard case .queueDeleteOk(let ok) = answer.method else { throw .unexpectedMethod(answer.method.name) }
        return ok.messageCount
    }
}
