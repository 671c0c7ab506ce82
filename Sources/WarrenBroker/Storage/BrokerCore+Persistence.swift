import NIOCore
import WarrenWire

// Wiring the broker to its data directory.
extension BrokerCore {
    /// Some topology method ran: durable definitions are rewritten with the next storage batch.
    func topologyChanged() {
        persistence?.topologyChanged()
    }

    /// Puts recovered vhosts, exchanges, queues, bindings and messages in place.
    func install(_ recovery: Recovery, persistence: Persistence) {
        self.persistence = persistence
        persistence.topology = { [unowned self] in Array(vhosts.values) }
        persistence.users = { [unowned self] in configuration.users }
        persistence.permissions = { [unowned self] in (configuration.permissions ?? [], configuration.topicPermissions) }
        persistence.onSynced = { [unowned self] in
            for connection in connections.values { connection.flushConfirms() }
        }
        let definitions = recovery.definitions
        // Users added through the management API come back, and so do default users (guest) as
        // they were left: changed, or deleted. Other users given at start (--user) keep what
        // the command line says.
        // (A file without users is from before users were stored: the defaults stay.)
        let defaults = configuration.defaultUserNames
        let given = Set(configuration.users.map(\.name)).subtracting(defaults)
        if recovery.foundDefinitions && !definitions.users.isEmpty {
            configuration.users.removeAll { user in defaults.contains(user.name) }
        }
        for user in definitions.users where !configuration.users.contains(where: { $0.name == user.name }) {
            configuration.users.append(user)
        }
        // Permissions are as the data directory left them, plus those the configuration gives
        // users given at start (--user), which win in their vhosts. (A file without permissions
        // is from before they were stored: the defaults stay.)
        if recovery.foundDefinitions && !definitions.permissions.isEmpty {
            let configured = (configuration.permissions ?? []).filter { given.contains($0.user) }
            let stored = definitions.permissions.filter { permission in
                !configured.contains { $0.user == permission.user && $0.vhost == permission.vhost }
            }
            configuration.permissions = configured + stored
            configuration.topicPermissions = definitions.topicPermissions
        }
        for name in definitions.vhosts where vhosts[name] == nil {
            addVirtualHost(name)
        }
        // Policies before the objects, so that each recovered queue and exchange gets its own
        // as it is declared.
        for p in definitions.policies {
            vhosts[p.policy.vhost]?.setPolicy(p.policy, operator: p.isOperator)
        }
        for e in definitions.exchanges {
            guard let vhost = vhosts[e.vhost] else { continue }
            try? vhost.declareExchange(ExchangeDeclare(exchange: e.name, type: e.type, durable: true,
                                                       autoDelete: e.autoDelete, internal: e.isInternal,
                                                       arguments: e.arguments))
        }
        for recovered in recovery.queues {
            let definition = recovered.definition
            guard let vhost = vhosts[definition.vhost],
                  let settings = try? QueueArguments(definition.arguments, queue: definition.name, vhost: vhost.name)
            else { continue }
            let queue = BrokerQueue(name: definition.name, durable: true, autoDelete: definition.autoDelete,
                                    exclusiveOwner: nil, arguments: definition.arguments, settings: settings,
                                    vhost: vhost)
            vhost.addQueue(queue)
            let index = QueueIndex(recovered: recovered.entries.map { ($0.position, $0.entry) })
            queue.journal = persistence.journal(for: queue, index: index)
            queue.restore(recovered.entries.map { item in
                var entry = QueueEntry(message: item.message, sequence: item.position)
                entry.redelivered = item.entry.delivered
                entry.expiresAt = QueueJournal.deadline(item.entry.expiresAt)
                return entry
            })
        }
        for b in definitions.bindings {
            guard let vhost = vhosts[b.vhost] else { continue }
            try? vhost.bind(Binding(source: b.source, destination: b.toExchange ? .exchange(b.destination) : .queue(b.destination),
                                    routingKey: b.routingKey, arguments: b.arguments))
        }
    }
}
