import NIOCore
import WarrenWire

/// A virtual host: its exchanges, queues and bindings. Lives on the broker's event loop.
final class VirtualHost {
    let name: String
    let eventLoop: any EventLoop
    private(set) var exchanges: [String: Exchange] = [:]
    private(set) var queues: [String: BrokerQueue] = [:]
    /// Queues created, declared (also re-declared) and deleted here, for churn_rates.
    var queueCreated: UInt64 = 0
    var queueDeclared: UInt64 = 0
    var queueDeleted: UInt64 = 0
    /// What closed channels and connections on this vhost did, so its totals survive them.
    var closedChannelTotals = ChannelStatistics()
    var closedReceivedOctets = 0
    var closedSentOctets = 0

    init(name: String, eventLoop: any EventLoop) {
        self.name = name
        self.eventLoop = eventLoop
        let predeclared: [(String, ExchangeType, Bool)] = [
            ("", .direct, false), ("amq.direct", .direct, false), ("amq.fanout", .fanout, false),
            ("amq.topic", .topic, false), ("amq.headers", .headers, false), ("amq.match", .headers, false),
            ("amq.rabbitmq.trace", .topic, true),
        ]
        for (name, type, isInternal) in predeclared {
            exchanges[name] = Exchange(name: name, type: type, durable: true, autoDelete: false, isInternal: isInternal,
                                       arguments: [:])
        }
    }

    // MARK: Exchanges

    func exchange(_ name: String) throws(BrokerError) -> Exchange {
        guard let exchange = exchanges[name] else { throw .noExchange(name, vhost: self.name) }
        return exchange
    }

    func declareExchange(_ d: ExchangeDeclare) throws(BrokerError) {
        if d.passive {
            _ = try exchange(d.exchange)
            return
        }
        if d.exchange.isEmpty || d.exchange.hasPrefix("amq.") {
            throw .accessRefused("exchange name '\(d.exchange)' contains reserved prefix 'amq.*'")
        }
        guard let type = ExchangeType(rawValue: d.type) else {
            throw .commandInvalid("unknown exchange type '\(d.type)'")
        }
        if let existing = exchanges[d.exchange] {
            guard existing.type == type, existing.durable == d.durable, existing.autoDelete == d.autoDelete,
                existing.isInternal == d.internal, existing.arguments == d.arguments
            else {
                throw .precondition(
                    "inequivalent arg '\(Self.firstDifference(existing, d))' for exchange '\(d.exchange)' in vhost "
                        + "'\(name)': received \(Self.describeDifference(existing, d))")
            }
            return
        }
        exchanges[d.exchange] = Exchange(name: d.exchange, type: type, durable: d.durable, autoDelete: d.autoDelete,
                                         isInternal: d.internal, arguments: d.arguments)
    }

    private static func firstDifference(_ e: Exchange, _ d: ExchangeDeclare) -> String {
        if e.type.rawValue != d.type { return "type" }
        if e.durable != d.durable { return "durable" }
        if e.autoDelete != d.autoDelete { return "auto_delete" }
        if e.isInternal != d.internal { return "internal" }
        return "arguments"
    }

    private static func describeDifference(_ e: Exchange, _ d: ExchangeDeclare) -> String {
        switch firstDifference(e, d) {
        case "type": return "'\(d.type)' but current is '\(e.type.rawValue)'"
        case "durable": return "'\(d.durable)' but current is '\(e.durable)'"
        case "auto_delete": return "'\(d.autoDelete)' but current is '\(e.autoDelete)'"
        case "internal": return "'\(d.internal)' but current is '\(e.isInternal)'"
        default: return "'\(d.arguments)' but current is '\(e.arguments)'"
        }
    }

    func deleteExchange(_ name: String, ifUnused: Bool) throws(BrokerError) {
        if name.isEmpty || name.hasPrefix("amq.") {
            throw .accessRefused("operation not permitted on the default exchange")
        }
        let target = try exchange(name)
        if ifUnused && (!target.bindings.isEmpty || hasBindings(to: .exchange(name))) {
            throw .precondition("exchange '\(name)' in vhost '\(self.name)' in use")
        }
        exchanges[name] = nil
        removeBindings(to: .exchange(name))
    }

    private func hasBindings(to destination: BindingDestination) -> Bool {
        exchanges.values.contains { $0.bindings.contains { $0.destination == destination } }
    }

    private func removeBindings(to destination: BindingDestination) {
        for exchange in Array(exchanges.values) {
            exchange.unbindAll(to: destination)
            deleteIfAutoDeleteAndUnused(exchange)
        }
    }

    private func deleteIfAutoDeleteAndUnused(_ exchange: Exchange) {
        guard exchange.autoDelete, exchange.bindings.isEmpty, exchanges[exchange.name] === exchange else { return }
        exchanges[exchange.name] = nil
        removeBindings(to: .exchange(exchange.name))
    }

    // MARK: Bindings

    func bind(_ binding: Binding) throws(BrokerError) {
        if binding.source.isEmpty {
            throw .accessRefused("operation not permitted on the default exchange")
        }
        let source = try exchange(binding.source)
        try checkDestination(binding.destination)
        source.bind(binding)
    }

    func unbind(_ binding: Binding) throws(BrokerError) {
        if binding.source.isEmpty {
            throw .accessRefused("operation not permitted on the default exchange")
        }
        let source = try exchange(binding.source)
        try checkDestination(binding.destination)
        if source.unbind(binding) { deleteIfAutoDeleteAndUnused(source) }
    }

    private func checkDestination(_ destination: BindingDestination) throws(BrokerError) {
        switch destination {
        case .queue(let name): guard queues[name] != nil else { throw .noQueue(name, vhost: self.name) }
        case .exchange(let name): _ = try exchange(name)
        }
    }

    // MARK: Queues

    func queue(_ name: String) throws(BrokerError) -> BrokerQueue {
        guard let queue = queues[name] else { throw .noQueue(name, vhost: self.name) }
        return queue
    }

    func addQueue(_ queue: BrokerQueue) {
        queues[queue.name] = queue
        queueCreated += 1
    }

    /// Deletes a queue: its consumers are cancelled, its bindings removed, its messages dropped.
    @discardableResult
    func deleteQueue(_ queue: BrokerQueue) -> Int {
        guard queues[queue.name] === queue else { return 0 }
        queues[queue.name] = nil
        queueDeleted += 1
        removeBindings(to: .queue(queue.name))
        return queue.markDeleted().count
    }

    // MARK: Routing

    /// The queues a message published to `exchange` reaches, each once, following
    /// exchange-to-exchange bindings. As in RabbitMQ, every exchange on the way falls back to its
    /// own alternate exchange when its bindings match nothing at all.
    func route(_ exchange: Exchange, routingKey: String, headers: FieldTable?) -> [BrokerQueue] {
        if exchange.name.isEmpty {
            // The default exchange routes to the queue named by the key, with no bindings stored.
            return queues[routingKey].map { [$0] } ?? []
        }
        var pending: [BindingDestination] = []
        Self.destinations(of: exchange, routingKey: routingKey, headers: headers, into: &pending)
        var result: [BrokerQueue] = []
        if pending.count == 1, case .queue(let name) = pending[0] {
            // The common case: one binding to one queue.
            if let queue = queues[name] { result.append(queue) }
            return result
        }
        var seenQueues = Set<String>()
        var seenExchanges: Set<String> = [exchange.name]
        var index = 0
        while index < pending.count {
            let destination = pending[index]
            index += 1
            switch destination {
            case .queue(let name):
                if let queue = queues[name], seenQueues.insert(name).inserted { result.append(queue) }
            case .exchange(let name):
                guard seenExchanges.insert(name).inserted, let next = exchanges[name] else { continue }
                Self.destinations(of: next, routingKey: routingKey, headers: headers, into: &pending)
            }
        }
        return result
    }

    private static func destinations(
        of exchange: Exchange, routingKey: String, headers: FieldTable?, into pending: inout [BindingDestination]
    ) {
        let before = pending.count
        exchange.route(routingKey: routingKey, headers: headers, into: &pending)
        if pending.count == before, let alternate = exchange.alternateExchange {
            pending.append(.exchange(alternate))
        }
    }
}
