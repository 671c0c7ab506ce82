import WarrenWire

// exchange.* and queue.* methods.
extension ServerChannel {
    func handleTopology(_ method: AMQPMethod) throws(BrokerError) {
        defer { connection.broker.topologyChanged() }
        switch method {
        case .exchangeDeclare(let declare):
            try vhost.declareExchange(declare, authorize: authorize)
            if !declare.noWait { connection.send(channel: id, ExchangeDeclareOk()) }
        case .exchangeDelete(let delete):
            try vhost.deleteExchange(delete.exchange, ifUnused: delete.ifUnused, authorize: authorize)
            if !delete.noWait { connection.send(channel: id, ExchangeDeleteOk()) }
        case .exchangeBind(let bind):
            let binding = Binding(source: bind.source, destination: .exchange(bind.destination),
                                  routingKey: bind.routingKey, arguments: bind.arguments)
            try authorizeBinding(binding)
            try vhost.bind(binding)
            if !bind.noWait { connection.send(channel: id, ExchangeBindOk()) }
        case .exchangeUnbind(let unbind):
            let binding = Binding(source: unbind.source, destination: .exchange(unbind.destination),
                                  routingKey: unbind.routingKey, arguments: unbind.arguments)
            try authorizeBinding(binding)
            try vhost.unbind(binding)
            if !unbind.noWait { connection.send(channel: id, ExchangeUnbindOk()) }
        case .queueDeclare(let declare):
            try declareQueue(declare)
        case .queueBind(let bind):
            let binding = Binding(source: bind.exchange, destination: .queue(queueName(bind.queue)),
                                  routingKey: bind.routingKey, arguments: bind.arguments)
            try authorizeBinding(binding)
            try vhost.bind(binding, checkAccess: checkExclusive)
            if !bind.noWait { connection.send(channel: id, QueueBindOk()) }
        case .queueUnbind(let unbind):
            let binding = Binding(source: unbind.exchange, destination: .queue(queueName(unbind.queue)),
                                  routingKey: unbind.routingKey, arguments: unbind.arguments)
            try authorizeBinding(binding)
            try vhost.unbind(binding, checkAccess: checkExclusive)
            connection.send(channel: id, QueueUnbindOk())
        case .queuePurge(let purge):
            try authorize(.read, .queue, queueName(purge.queue))
            let count = try accessibleQueue(purge.queue).purge()
            if !purge.noWait { connection.send(channel: id, QueuePurgeOk(messageCount: UInt32(count))) }
        case .queueDelete(let delete):
            var count = 0
            try authorize(.configure, .queue, queueName(delete.queue))
            if let queue = vhost.queues[queueName(delete.queue)] {
                try checkExclusive(queue)
                if delete.ifUnused && queue.consumerCount > 0 {
                    throw .precondition("queue '\(queue.name)' in vhost '\(vhost.name)' in use")
                }
                if delete.ifEmpty && queue.readyCount > 0 {
                    throw .precondition("queue '\(queue.name)' in vhost '\(vhost.name)' not empty")
                }
                count = vhost.deleteQueue(queue)
            }
            if !delete.noWait { connection.send(channel: id, QueueDeleteOk(messageCount: UInt32(count))) }
        default:
            throw .commandInvalid("unexpected method \(method.name)")
        }
    }

    /// An empty queue name means the last queue this channel declared, as in AMQP 0-9-1.
    func queueName(_ name: String) -> String {
        name.isEmpty ? (connection.lastDeclaredQueue[id] ?? "") : name
    }

    /// The queue, if it exists and this connection may use it (405 for another's exclusive queue).
    func accessibleQueue(_ name: String) throws(BrokerError) -> BrokerQueue {
        let queue = try vhost.queue(queueName(name))
        try checkExclusive(queue)
        return queue
    }

    func checkExclusive(_ queue: BrokerQueue) throws(BrokerError) {
        if let owner = queue.exclusiveOwner, owner != ObjectIdentifier(connection) {
            throw .exclusiveQueue(queue.name, vhost: vhost.name)
        }
    }

    private func declareQueue(_ declare: QueueDeclare) throws(BrokerError) {
        var name = declare.queue
        if declare.passive {
            let queue = try accessibleQueue(name)
            queue.touch()
            reply(declare, queue)
            return
        }
        if name.isEmpty {
            name = "amq.gen-" + ServerChannel.randomToken()
        } else if name.hasPrefix("amq.") {
            throw .accessRefused("queue name '\(name)' contains reserved prefix 'amq.*'")
        }
        // Server-named queues are no exception: the generated amq.gen-* name must be configurable.
        try authorize(.configure, .queue, name)
        if let existing = vhost.queues[name] {
            try checkExclusive(existing)
            if (existing.exclusiveOwner != nil) != declare.exclusive {
                throw .exclusiveQueue(name, vhost: vhost.name)
            }
            try Self.checkEquivalent(existing, durable: declare.durable, autoDelete: declare.autoDelete,
                                     arguments: declare.arguments)
            existing.touch()
            reply(declare, existing)
            return
        }
        // RabbitMQ's channel checks the dead-letter exchange's type before the queue's arguments.
        if let dlx = declare.arguments["x-dead-letter-exchange"], dlx.stringValue == nil {
            throw .precondition("invalid type '\(ArgumentEquivalence.typeName(dlx))' for arg 'x-dead-letter-exchange' "
                + "in queue '\(name)' in vhost '\(vhost.name)'")
        }
        if let dlx = declare.arguments["x-dead-letter-exchange"]?.stringValue {
            try authorize(.read, .queue, name)
            try authorize(.write, .exchange, dlx)
        }
        let settings = try QueueArguments(declare.arguments, queue: name, vhost: vhost.name)
        try settings.checkProperties(durable: declare.durable && !declare.exclusive, exclusive: declare.exclusive,
                                     autoDelete: declare.autoDelete, queue: name, vhost: vhost.name)
        let queue = BrokerQueue(
            name: name, durable: declare.durable && !declare.exclusive, autoDelete: declare.autoDelete,
            exclusiveOwner: declare.exclusive ? ObjectIdentifier(connection) : nil, arguments: declare.arguments,
            settings: settings, vhost: vhost)
        vhost.addQueue(queue)
        queue.journal = connection.broker.persistence?.journal(for: queue)
        if declare.exclusive { connection.exclusiveQueues.append(queue) }
        reply(declare, queue)
    }

    private func reply(_ declare: QueueDeclare, _ queue: BrokerQueue) {
        vhost.queueDeclared += 1
        connection.lastDeclaredQueue[id] = queue.name
        if !declare.noWait {
            connection.send(channel: id, QueueDeclareOk(queue: queue.name, messageCount: UInt32(queue.readyCount),
                                                        consumerCount: UInt32(queue.consumerCount)))
        }
    }

    /// The redeclare check: flags and the `x-` arguments RabbitMQ compares must be the same.
    static func checkEquivalent(
        _ queue: BrokerQueue, durable: Bool, autoDelete: Bool, arguments: FieldTable
    ) throws(BrokerError) {
        func inequivalent(_ what: String, _ received: String, _ current: String) -> BrokerError {
            .precondition("inequivalent arg '\(what)' for queue '\(queue.name)' in vhost '\(queue.vhost.name)': "
                + "received \(received) but current is \(current)")
        }
        // Exclusive queues are never durable, so RabbitMQ does not compare the flag for them.
        if queue.exclusiveOwner == nil && queue.durable != durable {
            throw inequivalent("durable", "'\(durable)'", "'\(queue.durable)'")
        }
        if queue.autoDelete != autoDelete {
            throw inequivalent("auto_delete", "'\(autoDelete)'", "'\(queue.autoDelete)'")
        }
        let checked = ["x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes", "x-overflow",
                       "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-priority", "x-queue-type",
                       "x-single-active-consumer", "x-delivery-limit", "x-queue-mode"]
        for key in checked {
            try ArgumentEquivalence.check(key, received: arguments, current: queue.arguments,
                                          subject: "queue '\(queue.name)' in vhost '\(queue.vhost.name)'")
        }
    }

    /// 22 characters of base64url, as RabbitMQ uses for server-generated names.
    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var generator = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in alphabet[Int(generator.next() % 64)] })
    }
}
