import NIOCore
import WarrenWire

/// A virtual host: its exchanges, queues and bindings. Lives on the broker's event loop.
final class VirtualHost {
    let name: String
    let eventLoop: any EventLoop
    /// The broker's memory budget and paging store, shared by every queue.
    let pager: Pager
    private(set) var exchanges: [String: Exchange] = [:]
    private(set) var queues: [String: BrokerQueue] = [:]
    /// Its policies and operator policies (see VirtualHost+Policies.swift).
    var policies = PolicySet()
    /// Queues created, declared (also re-declared) and deleted here, for churn_rates.
    var queueCreated: UInt64 = 0
    var queueDeclared: UInt64 = 0
    var queueDeleted: UInt64 = 0
    /// What closed channels and connections on this vhost did, so its totals survive them.
    var closedChannelTotals = ChannelStatistics()
    var closedReceivedOctets = 0
    var closedSentOctets = 0

    init(name: String, eventLoop: any EventLoop, pager: Pager = Pager(store: PagingStore(base: nil), limit: .max)) {
        self.name = name
        self.eventLoop = eventLoop
        self.pager = pager
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

    /// Asked for each permission an operation needs; throws to refuse (the management API and
    /// the broker's own recovery pass none, an AMQP channel its user's).
    typealias Authorizer = (Access, BrokerCore.ResourceKind, String) throws(BrokerError) -> Void

    /// exchange.declare, with RabbitMQ's order of checks: the type, the default exchange, the
    /// configure permission, then equivalence with an existing exchange or the reserved prefix
    /// and alternate exchange (read on this one, write on the alternate) of a new one.
    func declareExchange(_ d: ExchangeDeclare, authorize: Authorizer = { _, _, _ in }) throws(BrokerError) {
        if d.passive {
            try Self.checkNotDefault(d.exchange)
            _ = try exchange(d.exchange)
            return
        }
        guard let type = ExchangeType(rawValue: d.type) else {
            throw .commandInvalid("unknown exchange type '\(d.type)'")
        }
        try Self.checkNotDefault(d.exchange)
        try authorize(.configure, .exchange, d.exchange)
        let subject = "exchange '\(d.exchange)' in vhost '\(name)'"
        if let existing = exchanges[d.exchange] {
            func inequivalent(_ what: String, _ received: Any, _ current: Any) -> BrokerError {
                .precondition("inequivalent arg '\(what)' for \(subject): received '\(received)' but current is '\(current)'")
            }
            if existing.type != type { throw inequivalent("type", d.type, existing.type.rawValue) }
            if existing.durable != d.durable { throw inequivalent("durable", d.durable, existing.durable) }
            if existing.autoDelete != d.autoDelete { throw inequivalent("auto_delete", d.autoDelete, existing.autoDelete) }
            if existing.isInternal != d.internal { throw inequivalent("internal", d.internal, existing.isInternal) }
            // Of the arguments RabbitMQ compares only the alternate exchange.
            try ArgumentEquivalence.check("alternate-exchange", received: d.arguments, current: existing.arguments,
                                          subject: subject)
            return
        }
        if d.exchange.hasPrefix("amq.") {
            throw .accessRefused("exchange name '\(d.exchange)' contains reserved prefix 'amq.*'")
        }
        if let alternate = d.arguments["alternate-exchange"], alternate.stringValue == nil {
            throw .precondition("invalid type '\(ArgumentEquivalence.typeName(alternate))' for arg "
                + "'alternate-exchange' in \(subject)")
        }
        if let alternate = d.arguments["alternate-exchange"]?.stringValue {
            try authorize(.read, .exchange, d.exchange)
            try authorize(.write, .exchange, alternate)
        }
        let created = Exchange(name: d.exchange, type: type, durable: d.durable, autoDelete: d.autoDelete,
                               isInternal: d.internal, arguments: d.arguments)
        created.policy = policies.match(created.name, queueKind: nil, operator: false)
        exchanges[d.exchange] = created
    }

    static func checkNotDefault(_ exchange: String) throws(BrokerError) {
        if exchange.isEmpty { throw .accessRefused("operation not permitted on the default exchange") }
    }

    /// exchange.delete: never the default or an amq.* exchange, then the configure permission;
    /// a missing exchange is no error.
    func deleteExchange(_ name: String, ifUnused: Bool, authorize: Authorizer = { _, _, _ in }) throws(BrokerError) {
        try Self.checkNotDefault(name)
        if name.hasPrefix("amq.") {
            throw .accessRefused("deletion of system exchange '\(name)' in vhost '\(self.name)' not allowed")
        }
        try authorize(.configure, .exchange, name)
        guard let target = exchanges[name] else { return }
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

    /// Binds, checking as RabbitMQ does: the default exchange at either end, then the source,
    /// then the destination, then `checkAccess` (a queue's exclusivity), then the source type's
    /// validation of the arguments.
    func bind(_ binding: Binding, checkAccess: (BrokerQueue) throws(BrokerError) -> Void = { _ in }) throws(BrokerError) {
        try checkNotDefault(binding)
        let source = try exchange(binding.source)
        try checkDestination(binding.destination, checkAccess)
        try source.validate(binding)
        source.bind(binding)
    }

    /// Unbinds; a binding that does not exist, or whose exchange or queue does not, is no error.
    func unbind(_ binding: Binding, checkAccess: (BrokerQueue) throws(BrokerError) -> Void = { _ in }) throws(BrokerError) {
        try checkNotDefault(binding)
        guard let source = exchanges[binding.source] else { return }
        switch binding.destination {
        case .queue(let name):
            guard let queue = queues[name] else { return }
            try checkAccess(queue)
        case .exchange(let name):
            guard exchanges[name] != nil else { return }
        }
        if source.unbind(binding) { deleteIfAutoDeleteAndUnused(source) }
    }

    private func checkNotDefault(_ binding: Binding) throws(BrokerError) {
        if case .exchange(let name) = binding.destination { try Self.checkNotDefault(name) }
        try Self.checkNotDefault(binding.source)
    }

    private func checkDestination(
        _ destination: BindingDestination, _ checkAccess: (BrokerQueue) throws(BrokerError) -> Void
    ) throws(BrokerError) {
        switch destination {
        case .queue(let name):
            guard let queue = queues[name] else { throw .noQueue(name, vhost: self.name) }
            try checkAccess(queue)
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
        applyPolicies(to: queue)
    }

    /// Deletes a queue: its consumers are cancelled, its bindings removed, its messages dropped.
    @discardableResult
    func deleteQueue(_ queue: BrokerQueue) -> Int {
        guard queues[queue.name] === queue else { return 0 }
        queues[queue.name] = nil
        queueDeleted += 1
        removeBindings(to: .queue(queue.name))
        return queue.markDeleted()
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

    /// The queues a message with several routing keys (CC, BCC) reaches, each once.
    func route(_ exchange: Exchange, routingKeys: [String], headers: FieldTable?) -> [BrokerQueue] {
        guard routingKeys.count > 1 else {
            return route(exchange, routingKey: routingKeys.first ?? "", headers: headers)
        }
        var result: [BrokerQueue] = []
        var seen = Set<ObjectIdentifier>()
        for key in routingKeys {
            for queue in route(exchange, routingKey: key, headers: headers)
            where seen.insert(ObjectIdentifier(queue)).inserted {
                result.append(queue)
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
