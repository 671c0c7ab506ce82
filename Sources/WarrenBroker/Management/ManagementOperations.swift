import NIOCore
import WarrenWire

/// A refusal from a management operation, with the HTTP status RabbitMQ's management API
/// answers it with.
package struct ManagementError: Error, Sendable {
    package enum Kind: Sendable {
        /// accessRefused: refused by a permission or a reserved name, which RabbitMQ's management
        /// API answers with 401 and "Access refused."; notAuthorised: 401 with `reason` as it is;
        /// objectNotFound: the resource of the URL is missing (RabbitMQ's plain "Not Found");
        /// notFoundExplained: a 404 whose reason RabbitMQ gives without the "NOT_FOUND - " prefix.
        case notFound, badRequest, accessRefused, locked, notAuthorised, objectNotFound, notFoundExplained
    }

    package var kind: Kind
    package var reason: String

    package init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    init(_ error: BrokerError) {
        switch error.code {
        case .notFound: kind = .notFound
        case .accessRefused: kind = .accessRefused
        case .resourceLocked: kind = .locked
        default: kind = .badRequest
        }
        reason = error.detail
    }
}

/// A message as `POST /api/queues/{vhost}/{name}/get` returns it.
package struct FetchedMessage: Sendable {
    package var exchange: String
    package var routingKey: String
    package var properties: BasicProperties
    package var body: ByteBuffer
    package var redelivered: Bool
    /// Ready messages left in the queue after this one was taken (0 for a peek's view of it).
    package var messageCount: Int
}

/// What to do with messages fetched through the management API.
package enum FetchMode: Sendable {
    /// RabbitMQ's four ackmodes: requeue (marks redelivered), or settle.
    case requeue
    case ack
    case reject
    /// Warren's extension: copies of the head messages; the queue does not change at all.
    case peek
}

/// The broker's topology and messages as the management API changes them. Used only inside
/// ``Broker/withOperations(_:)``, on the broker's event loop.
package struct ManagementOperations {
    let core: BrokerCore
    /// The user the operations act for, whose permissions they check as an AMQP channel would;
    /// nil for the broker's own changes (a definitions import), which check none.
    let actor: String?

    /// How RabbitMQ's management API reports a refused permission: "Access refused." for what
    /// it runs as a direct request, the AMQP text for a get, and a 400 carrying the code and
    /// text for a publish (whose refusal closes the channel afterwards).
    enum Refusal {
        case accessRefused, detailed, badRequest

        func error(_ refusal: BrokerError) -> ManagementError {
            switch self {
            case .accessRefused: ManagementError(.accessRefused, "")
            case .detailed: ManagementError(.notAuthorised, refusal.replyText)
            case .badRequest: ManagementError(.badRequest, "\(refusal.code.rawValue) \(refusal.replyText)")
            }
        }
    }

    /// A permission check of the acting user (none without one).
    func authorize(
        _ vhost: String, _ kind: BrokerCore.ResourceKind, _ name: String, _ access: Access,
        refusal: Refusal = .accessRefused
    ) throws(ManagementError) {
        guard let actor else { return }
        do {
            try core.checkAccess(user: actor, vhost: vhost, kind, name, access)
        } catch {
            throw refusal.error(error)
        }
    }

    /// The same check for operations of ``VirtualHost`` that take an authorizer.
    func authorizer(_ vhost: String) -> VirtualHost.Authorizer {
        guard let actor else { return { _, _, _ in } }
        let core = self.core
        return { access, kind, name throws(BrokerError) in
            try core.checkAccess(user: actor, vhost: vhost, kind, name, access)
        }
    }

    func vhost(_ name: String) throws(ManagementError) -> VirtualHost {
        guard let vhost = core.vhosts[name] else { throw ManagementError(.notFound, "no vhost '\(name)'") }
        return vhost
    }

    func queue(_ vhost: String, _ name: String) throws(ManagementError) -> BrokerQueue {
        guard let queue = try self.vhost(vhost).queues[name] else {
            throw ManagementError(.notFound, "no queue '\(name)' in vhost '\(vhost)'")
        }
        return queue
    }

    /// Declares a queue; returns false when an equivalent one already existed.
    package func declareQueue(
        vhost name: String, queue: String, durable: Bool, autoDelete: Bool, arguments: FieldTable
    ) throws(ManagementError) -> Bool {
        let vhost = try self.vhost(name)
        do throws(BrokerError) {
            if queue.hasPrefix("amq.") {
                throw BrokerError.accessRefused("queue name '\(queue)' contains reserved prefix 'amq.*'")
            }
            let authorize = authorizer(name)
            try authorize(.configure, .queue, queue)
            if let existing = vhost.queues[queue] {
                if existing.exclusiveOwner != nil { throw BrokerError.exclusiveQueue(queue, vhost: name) }
                try ServerChannel.checkEquivalent(existing, durable: durable, autoDelete: autoDelete,
                                                  arguments: arguments)
                existing.touch()
                vhost.queueDeclared += 1
                return false
            }
            if let dlx = arguments["x-dead-letter-exchange"]?.stringValue {
                try authorize(.read, .queue, queue)
                try authorize(.write, .exchange, dlx)
            }
            let settings = try QueueArguments(arguments, queue: queue, vhost: name)
            let created = BrokerQueue(name: queue, durable: durable, autoDelete: autoDelete, exclusiveOwner: nil,
                                      arguments: arguments, settings: settings, vhost: vhost)
            vhost.addQueue(created)
            created.journal = core.persistence?.journal(for: created)
            vhost.queueDeclared += 1
            return true
        } catch {
            throw ManagementError(error)
        }
    }

    package func deleteQueue(vhost: String, queue name: String, ifEmpty: Bool, ifUnused: Bool) throws(ManagementError) {
        guard let queue = try self.vhost(vhost).queues[name] else { throw ManagementError(.objectNotFound, "") }
        try authorize(vhost, .queue, name, .configure)
        if ifUnused && queue.consumerCount > 0 {
            throw ManagementError(.badRequest, "queue '\(name)' in vhost '\(vhost)' in use")
        }
        if ifEmpty && queue.readyCount > 0 {
            throw ManagementError(.badRequest, "queue '\(name)' in vhost '\(vhost)' not empty")
        }
        try self.vhost(vhost).deleteQueue(queue)
    }

    @discardableResult
    package func purge(vhost: String, queue: String) throws(ManagementError) -> Int {
        guard let found = try self.vhost(vhost).queues[queue] else { throw ManagementError(.objectNotFound, "") }
        try authorize(vhost, .queue, queue, .read)
        return found.purge()
    }

    /// Declares an exchange; returns false when an equivalent one already existed.
    package func declareExchange(
        vhost name: String, exchange: String, type: String, durable: Bool, autoDelete: Bool, isInternal: Bool,
        arguments: FieldTable
    ) throws(ManagementError) -> Bool {
        let vhost = try self.vhost(name)
        let existed = vhost.exchanges[exchange] != nil
        do {
            try vhost.declareExchange(ExchangeDeclare(
                exchange: exchange, type: type, passive: false, durable: durable, autoDelete: autoDelete,
                internal: isInternal, noWait: false, arguments: arguments), authorize: authorizer(name))
        } catch {
            throw ManagementError(error)
        }
        return !existed
    }

    package func deleteExchange(vhost: String, exchange: String, ifUnused: Bool) throws(ManagementError) {
        let host = try self.vhost(vhost)
        guard host.exchanges[exchange] != nil else {
            throw ManagementError(.notFound, "no exchange '\(exchange)' in vhost '\(vhost)'")
        }
        do {
            try host.deleteExchange(exchange, ifUnused: ifUnused, authorize: authorizer(vhost))
        } catch {
            throw ManagementError(error)
        }
    }

    package func bind(
        vhost: String, source: String, destination: String, toQueue: Bool, routingKey: String, arguments: FieldTable
    ) throws(ManagementError) {
        let binding = Binding(source: source, destination: toQueue ? .queue(destination) : .exchange(destination),
                              routingKey: routingKey, arguments: arguments)
        let host = try self.vhost(vhost)
        try authorizeBinding(binding, vhost: vhost)
        do {
            try host.bind(binding)
        } catch {
            var refusal = ManagementError(error)
            if refusal.kind == .notFound { refusal.kind = .notFoundExplained }
            throw refusal
        }
    }

    package func unbind(
        vhost: String, source: String, destination: String, toQueue: Bool, routingKey: String, arguments: FieldTable
    ) throws(ManagementError) {
        let binding = Binding(source: source, destination: toQueue ? .queue(destination) : .exchange(destination),
                              routingKey: routingKey, arguments: arguments)
        let host = try self.vhost(vhost)
        try authorizeBinding(binding, vhost: vhost)
        guard host.exchanges[source]?.bindings.contains(binding) == true else {
            throw ManagementError(.notFound, "no binding")
        }
        do { try host.unbind(binding) } catch { throw ManagementError(error) }
    }

    /// Write on the destination, read on the source, as the AMQP channel checks a binding.
    private func authorizeBinding(_ binding: Binding, vhost: String) throws(ManagementError) {
        let destination = binding.destination
        try authorize(vhost, destination.isQueue ? .queue : .exchange, destination.name, .write)
        try authorize(vhost, .exchange, binding.source, .read)
        if let source = core.vhosts[vhost]?.exchanges[binding.source] {
            try authorizeTopic(vhost, source, routingKey: binding.routingKey, .read)
        }
    }

    /// Topic permissions, for the acting user (none are checked without one).
    private func authorizeTopic(
        _ vhost: String, _ exchange: Exchange, routingKey: String, _ access: Access,
        refusal: Refusal = .accessRefused
    ) throws(ManagementError) {
        guard let actor else { return }
        do {
            try core.checkTopicAccess(user: actor, vhost: vhost, exchange: exchange, routingKey: routingKey, access)
        } catch {
            throw refusal.error(error)
        }
    }

    /// Publishes as a client would (without confirms); returns whether any queue took it.
    package func publish(
        vhost: String, exchange name: String, routingKey: String, properties: BasicProperties, body: ByteBuffer
    ) throws(ManagementError) -> Bool {
        let host = try self.vhost(vhost)
        try authorize(vhost, .exchange, name, .write, refusal: .badRequest)
        guard let exchange = host.exchanges[name] else {
            throw ManagementError(.notFound, "no exchange '\(name)' in vhost '\(vhost)'")
        }
        try authorizeTopic(vhost, exchange, routingKey: routingKey, .write, refusal: .badRequest)
        let message = Message.make(exchange: name, routingKey: routingKey, properties: properties, body: body)
        exchange.publishedIn += 1
        let queues = host.route(exchange, routingKey: routingKey, headers: properties.headers)
        guard !queues.isEmpty else { return false }
        exchange.routedOut += 1
        var routed = false
        for queue in queues {
            if case .enqueued = queue.enqueue(message) { routed = true }
        }
        return routed
    }

    /// Up to `count` messages from the head of a queue, then requeued, acked or rejected as
    /// `mode` says; `.peek` leaves the queue exactly as it was.
    package func fetch(vhost: String, queue name: String, count: Int, mode: FetchMode) throws(ManagementError)
        -> [FetchedMessage]
    {
        _ = try self.vhost(vhost)
        try authorize(vhost, .queue, name, .read, refusal: .detailed)
        let queue = try self.queue(vhost, name)
        if case .peek = mode {
            return queue.peek(count).map {
                FetchedMessage(exchange: $0.message.exchange, routingKey: $0.message.routingKey,
                               properties: $0.message.properties, body: $0.message.body, redelivered: $0.redelivered,
                               messageCount: 0)
            }
        }
        var taken: [QueueEntry] = []
        var result: [FetchedMessage] = []
        while taken.count < count, let entry = queue.get() {
            taken.append(entry)
            queue.stats.got += 1
            if entry.redelivered { queue.stats.redelivered += 1 }
            result.append(FetchedMessage(
                exchange: entry.message.exchange, routingKey: entry.message.routingKey,
                properties: entry.message.properties, body: entry.message.body, redelivered: entry.redelivered,
                messageCount: queue.readyCount))
        }
        if taken.count < count && result.isEmpty { queue.stats.getEmpty += 1 }
        switch mode {
        case .requeue: queue.requeue(taken)
        case .ack: queue.stats.acked += UInt64(taken.count)
        case .reject: for entry in taken { queue.deadLetter(entry, reason: .rejected) }
        case .peek: break
        }
        return result
    }
}

extension Broker {
    /// A copy of the broker's state, taken on its event loop.
    package func snapshot(_ parts: SnapshotParts, vhost: String? = nil) async throws -> BrokerSnapshot {
        let core = self.core
        let port = amqpPort
        var snapshot = try await core.eventLoop.submit { core.value.snapshot(parts, vhost: vhost, amqpPort: port) }.get()
        snapshot.amqpsPort = amqpsPort
        return snapshot
    }

    /// The vhost and name of every queue (of one vhost), without their figures.
    package func queueKeys(vhost: String?) async throws -> [QueueKey] {
        let core = self.core
        return try await core.eventLoop.submit { core.value.queueKeys(vhost: vhost) }.get()
    }

    /// Snapshots of just these queues (those that still exist), in the order given.
    package func queueSnapshots(_ keys: [QueueKey]) async throws -> [QueueSnapshot] {
        let core = self.core
        return try await core.eventLoop.submit { core.value.queueSnapshots(keys) }.get()
    }

    /// Runs `body` on the broker's event loop with the operations that change it, checking the
    /// permissions of `user` (none for nil).
    package func withOperations<T: Sendable>(
        as user: String? = nil, _ body: @escaping @Sendable (ManagementOperations) throws(ManagementError) -> T
    ) async throws -> T {
        let core = self.core
        return try await core.eventLoop.submit { () throws -> T in
            // Whatever it changed, durable definitions are rewritten with the next storage batch.
            defer { core.value.topologyChanged() }
            return try body(ManagementOperations(core: core.value, actor: user))
        }.get()
    }

    /// The user with this name and password, if there is one.
    package func authenticate(user: String, password: String) async -> BrokerConfiguration.User? {
        let core = self.core
        return try? await core.eventLoop.submit {
            guard let found = core.value.configuration.users.first(where: { $0.name == user }) else {
                // Hash anyway, so that a missing user takes as long as a wrong password.
                _ = PasswordHash.timingDecoy.matches(password)
                return nil
            }
            return found.hasPassword(password) ? found : nil
        }.get()
    }
}
