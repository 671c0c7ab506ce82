// Permission checks of the AMQP methods, in the order RabbitMQ's channel makes them.
extension ServerChannel {
    struct PermittedAccess: Equatable {
        let access: Access
        let kind: BrokerCore.ResourceKind
        let name: String
    }

    /// RabbitMQ's channel keeps its last twelve permitted accesses.
    static let permittedAccessLimit = 12

    /// Refuses with 403 unless the connection's user has `access` to the resource.
    func authorize(_ access: Access, _ kind: BrokerCore.ResourceKind, _ name: String) throws(BrokerError) {
        let key = PermittedAccess(access: access, kind: kind, name: name)
        if permittedAccess.contains(key) { return }
        try connection.broker.checkAccess(user: connection.username, vhost: vhost.name, kind, name, access)
        if permittedAccess.count >= Self.permittedAccessLimit { permittedAccess.removeLast() }
        permittedAccess.insert(key, at: 0)
    }

    func authorizeTopic(_ exchange: Exchange, routingKey: String, _ access: Access) throws(BrokerError) {
        try connection.broker.checkTopicAccess(user: connection.username, vhost: vhost.name, exchange: exchange,
                                               routingKey: routingKey, access)
    }

    /// What queue.bind, queue.unbind, exchange.bind and exchange.unbind check, in RabbitMQ's
    /// order: write on the destination, neither end the default exchange, read on the source,
    /// then the topic permission for the routing key when the source is a topic exchange.
    func authorizeBinding(_ binding: Binding) throws(BrokerError) {
        switch binding.destination {
        case .queue(let name): try authorize(.write, .queue, name)
        case .exchange(let name):
            try authorize(.write, .exchange, name)
            try VirtualHost.checkNotDefault(name)
        }
        try VirtualHost.checkNotDefault(binding.source)
        try authorize(.read, .exchange, binding.source)
        if let source = vhost.exchanges[binding.source] {
            try authorizeTopic(source, routingKey: binding.routingKey, .read)
        }
    }
}
