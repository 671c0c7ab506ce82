import WarrenBroker
import WarrenWire

/// RabbitMQ's definitions format: export of users, vhosts, permissions, topic permissions,
/// policies, queues, exchanges and bindings, and import of the same (parameters are accepted and
/// ignored). As in RabbitMQ 3.10, operator policies are not part of it.
enum Definitions {
    static func export(_ s: BrokerSnapshot) -> JSON {
        let predeclared: (ExchangeSnapshot) -> Bool = { $0.name.isEmpty || $0.name.hasPrefix("amq.") }
        return .sorted([
            ("rabbit_version", .string(ObjectJSON.managementVersion)),
            ("rabbitmq_version", .string(ObjectJSON.managementVersion)),
            ("product_name", .string("Warren")), ("product_version", .string(ObjectJSON.managementVersion)),
            ("users", .array(s.users.sorted { $0.name < $1.name }.map(ObjectJSON.user))),
            ("vhosts", .array(s.vhosts.sorted().map { .object([("name", .string($0))]) })),
            ("permissions", .array(s.permissions.map(ManagementAPI.render))),
            ("topic_permissions", .array(s.topicPermissions.map(ManagementAPI.render))),
            ("parameters", .array([])), ("global_parameters", .array([])),
            ("policies", .array(s.policies.sorted { ($0.vhost, $0.name) < ($1.vhost, $1.name) }.map { policy in
                .sorted([("apply-to", .string(policy.applyTo.rawValue)), ("definition", JSON(policy.definition)),
                         ("name", .string(policy.name)), ("pattern", .string(policy.pattern)),
                         ("priority", ManagementAPI.renderNumber(policy.priority)), ("vhost", .string(policy.vhost))])
            })),
            ("queues", .array(s.queues.filter { !$0.exclusive }.sorted { $0.name < $1.name }.map {
                .sorted([("arguments", JSON($0.arguments)), ("auto_delete", .bool($0.autoDelete)),
                         ("durable", .bool($0.durable)), ("name", .string($0.name)), ("vhost", .string($0.vhost))])
            })),
            ("exchanges", .array(s.exchanges.filter { !predeclared($0) }.sorted { $0.name < $1.name }.map {
                .sorted([("arguments", JSON($0.arguments)), ("auto_delete", .bool($0.autoDelete)),
                         ("durable", .bool($0.durable)), ("internal", .bool($0.isInternal)),
                         ("name", .string($0.name)), ("type", .string($0.type)), ("vhost", .string($0.vhost))])
            })),
            ("bindings", .array(s.bindings.filter { !$0.source.isEmpty }.map {
                .sorted([("arguments", JSON($0.arguments)), ("destination", .string($0.destination)),
                         ("destination_type", .string($0.destinationIsQueue ? "queue" : "exchange")),
                         ("routing_key", .string($0.routingKey)), ("source", .string($0.source)),
                         ("vhost", .string($0.vhost))])
            })),
        ])
    }

    /// Imports in dependency order: vhosts, users, permissions, policies, exchanges, queues, bindings. The first
    /// refusal stops the import with a 400 naming the object.
    static func `import`(_ body: JSON, into api: ManagementAPI) async throws(RequestError) {
        func list(_ key: String) throws(RequestError) -> [JSON] {
            guard let value = body[key] else { return [] }
            guard let items = value.arrayValue else { throw .badRequest("\(key) must be a list") }
            return items
        }
        func text(_ item: JSON, _ key: String, in kind: String) throws(RequestError) -> String {
            guard let value = item[key]?.stringValue else { throw .badRequest("\(kind) without a string '\(key)'") }
            return value
        }
        for vhost in try list("vhosts") {
            let name = try text(vhost, "name", in: "vhost")
            _ = try await api.operate { ops in ops.addVirtualHost(name) }
        }
        for user in try list("users") {
            let name = try text(user, "name", in: "user")
            // RabbitMQ's exports carry password_hash; a hand-written file may carry a password.
            let account = try ManagementAPI.user(name, user)
            _ = try await api.operate { ops in ops.putUser(account) }
        }
        for permission in try list("permissions") {
            let (vhost, user) = (try text(permission, "vhost", in: "permission"), try text(permission, "user", in: "permission"))
            _ = try await api.putPermission(vhost, user, permission, topic: false)
        }
        for permission in try list("topic_permissions") {
            let vhost = try text(permission, "vhost", in: "topic permission")
            let user = try text(permission, "user", in: "topic permission")
            _ = try await api.putPermission(vhost, user, permission, topic: true)
        }
        for policy in try list("policies") {
            let (vhost, name) = (try text(policy, "vhost", in: "policy"), try text(policy, "name", in: "policy"))
            _ = try await api.putPolicy(vhost, name, policy, operator: false)
        }
        for exchange in try list("exchanges") {
            let (vhost, name) = (try text(exchange, "vhost", in: "exchange"), try text(exchange, "name", in: "exchange"))
            let type = try text(exchange, "type", in: "exchange")
            let arguments = try ManagementAPI.arguments(exchange)
            let durable = try ManagementAPI.flag(exchange, "durable", default: true)
            let autoDelete = try ManagementAPI.flag(exchange, "auto_delete", default: false)
            let isInternal = try ManagementAPI.flag(exchange, "internal", default: false)
            _ = try await api.operate { ops throws(ManagementError) in
                try ops.declareExchange(vhost: vhost, exchange: name, type: type, durable: durable,
                                        autoDelete: autoDelete, isInternal: isInternal, arguments: arguments)
            }
        }
        for queue in try list("queues") {
            let (vhost, name) = (try text(queue, "vhost", in: "queue"), try text(queue, "name", in: "queue"))
            let arguments = try ManagementAPI.arguments(queue)
            let durable = try ManagementAPI.flag(queue, "durable", default: true)
            let autoDelete = try ManagementAPI.flag(queue, "auto_delete", default: false)
            _ = try await api.operate { ops throws(ManagementError) in
                try ops.declareQueue(vhost: vhost, queue: name, durable: durable, autoDelete: autoDelete,
                                     arguments: arguments)
            }
        }
        for binding in try list("bindings") {
            let vhost = try text(binding, "vhost", in: "binding")
            let source = try text(binding, "source", in: "binding")
            let destination = try text(binding, "destination", in: "binding")
            let toQueue = try text(binding, "destination_type", in: "binding") == "queue"
            let key = binding["routing_key"]?.stringValue ?? ""
            let arguments = try ManagementAPI.arguments(binding)
            try await api.operate { ops throws(ManagementError) in
                try ops.bind(vhost: vhost, source: source, destination: destination, toQueue: toQueue,
                             routingKey: key, arguments: arguments)
            }
        }
    }
}
