import WarrenWire

// exchange.* and queue.* methods.
extension ServerChannel {
    func handleTopology(_ method: AMQPMethod) throws(BrokerError) {
        switch method {
        case .exchangeDeclare(let declare):
            try vhost.declareExchange(declare)
            if !declare.noWait { connection.send(channel: id, ExchangeDeclareOk()) }
        case .exchangeDelete(let delete):
            // Deleting a missing exchange succeeds, as in RabbitMQ 3.10.
            if vhost.exchanges[delete.exchange] != nil || delete.exchange.isEmpty || delete.exchange.hasPrefix("amq.") {
                try vhost.deleteExchange(delete.exchange, ifUnused: delete.ifUnused)
            }
            if !delete.noWait { connection.send(channel: id, ExchangeDeleteOk()) }
        case .exchangeBind(let bind):
            try vhost.bind(Binding(source: bind.source, destination: .exchange(bind.destination),
                                   routingKey: bind.routingKey, arguments: bind.arguments))
            if !bind.noWait { connection.send(channel: id, ExchangeBindOk()) }
        case .exchangeUnbind(let unbind):
            try vhost.unbind(Binding(source: unbind.source, destination: .exchange(unbind.destination),
                                     routingKey: unbind.routingKey, arguments: unbind.arguments))
            if !unbind.noWait { connection.send(channel: id, ExchangeUnbindOk()) }
        case .queueDeclare(let declare):
            try declareQueue(declare)
        case .queueBind(let bind):
            let queue = try accessibleQueue(bind.queue)
            try vhost.bind(Binding(source: bind.exchange, destination: .queue(queue.name), routingKey: bind.routingKey,
                                   arguments: bind.arguments))
            if !bind.noWait { connection.send(channel: id, QueueBindOk()) }
        case .queueUnbind(let unbind):
            let queue = try accessibleQueue(unbind.queue)
            try vhost.unbind(Binding(source: unbind.exchange, destination: .queue(queue.name),
                                     routingKey: unbind.routingKey, arguments: unbind.arguments))
            connection.send(channel: id, QueueUnbindOk())
        case .queuePurge(let purge):
            let count = try accessibleQueue(purge.queue).purge()
            if !purge.noWait { connection.send(channel: id, QueuePurgeOk(messageCount: UInt32(count))) }
        case .queueDelete(let delete):
            var count = 0
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
        let settings = try QueueArguments(declare.arguments, queue: name, vhost: vhost.name)
        let queue = BrokerQueue(
            name: name, durable: declare.durable && !declare.exclusive, autoDelete: declare.autoDelete,
            exclusiveOwner: declare.exclusive ? ObjectIdentifier(connection) : nil, arguments: declare.arguments,
            settings: settings, vhost: vhost)
        vhost.addQueue(queue)
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
            let received = arguments[key]
            let current = queue.arguments[key]
            if !Self.sameArgument(received, current) {
                // RabbitMQ's wording: values alone when both are set, with their types when one is missing.
                if let received, let current {
                    throw inequivalent(key, "'\(Self.text(received))'", "'\(Self.text(current))'")
                }
                throw inequivalent(key, Self.describeArgument(received), Self.describeArgument(current))
            }
        }
    }

    private static func sameArgument(_ a: FieldValue?, _ b: FieldValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            if let i = x.int64Value, let j = y.int64Value { return i == j }
            return x == y
        default: return false
        }
    }

    private static func text(_ value: FieldValue) -> String {
        value.stringValue ?? value.int64Value.map(String.init) ?? value.boolValue.map(String.init) ?? "\(value)"
    }

    private static func describeArgument(_ value: FieldValue?) -> String {
        guard let value else { return "none" }
        return "the value '\(text(value))' of type '\(typeName(value))'"
    }

    /// RabbitMQ's names for field-table types.
    static func typeName(_ value: FieldValue) -> String {
        switch value {
        case .bool: return "bool"
        case .int8: return "byte"
        case .uint8: return "unsignedbyte"
        case .int16: return "short"
        case .uint16: return "unsignedshort"
        case .int32: return "signedint"
        case .uint32: return "unsignedint"
        case .int64: return "long"
        case .float: return "float"
        case .double: return "double"
        case .decimal: return "decimal"
        case .string, .binaryString: return "longstr"
        case .array: return "array"
        case .timestamp: return "timestamp"
        case .table: return "table"
        case .void: return "void"
        case .bytes: return "binary"
        }
    }

    /// 22 characters of base64url, as RabbitMQ uses for server-generated names.
    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var generator = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in alphabet[Int(generator.next() % 64)] })
    }
}
