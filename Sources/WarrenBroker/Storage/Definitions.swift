import NIOCore
import WarrenWire

/// The durable topology: vhosts, users, durable exchanges, durable queues and the bindings
/// between durable ends. Stored as one file of records (see ``RecordFormat``), replaced atomically
/// whenever the topology changes. Arguments are kept as AMQP field tables, so nothing is lost.
struct Definitions: Equatable {
    struct ExchangeDefinition: Equatable {
        var vhost: String
        var name: String
        var type: String
        var autoDelete: Bool
        var isInternal: Bool
        var arguments: FieldTable
    }

    struct QueueDefinition: Equatable {
        var vhost: String
        var name: String
        var autoDelete: Bool
        var arguments: FieldTable
    }

    struct BindingDefinition: Equatable {
        var vhost: String
        var source: String
        var toExchange: Bool
        var destination: String
        var routingKey: String
        var arguments: FieldTable
    }

    var vhosts: [String] = []
    var exchanges: [ExchangeDefinition] = []
    var queues: [QueueDefinition] = []
    var bindings: [BindingDefinition] = []
    var users: [BrokerConfiguration.User] = []
    var permissions: [Permission] = []
    var topicPermissions: [TopicPermission] = []
    /// Policies and operator policies, every vhost's.
    var policies: [PolicyDefinition] = []

    struct PolicyDefinition: Equatable {
        var policy: Policy
        var isOperator: Bool
    }

    /// Marks a user's password field as a ``PasswordHash`` in base64 (older files hold the password).
    static let hashPrefix = "sha256:"

    private enum Kind: UInt8 {
        case vhost = 1, exchange = 2, queue = 3, binding = 4, user = 5, permission = 6, topicPermission = 7
        case policy = 8
    }

    /// What of these vhosts and users survives a restart.
    init(
        _ vhosts: [VirtualHost], users: [BrokerConfiguration.User] = [], permissions: [Permission] = [],
        topicPermissions: [TopicPermission] = []
    ) {
        self.users = users.sorted { $0.name < $1.name }
        self.permissions = permissions
        self.topicPermissions = topicPermissions
        for vhost in vhosts.sorted(by: { $0.name < $1.name }) {
            self.vhosts.append(vhost.name)
            for (list, isOperator) in [(vhost.policies.all, false), (vhost.policies.allOperator, true)] {
                for policy in list.sorted(by: { $0.name < $1.name }) {
                    policies.append(PolicyDefinition(policy: policy, isOperator: isOperator))
                }
            }
            let durableExchanges = vhost.exchanges.values.filter(\.durable)
            for exchange in durableExchanges.sorted(by: { $0.name < $1.name }) {
                if !exchange.name.isEmpty && !exchange.name.hasPrefix("amq.") {
                    exchanges.append(ExchangeDefinition(
                        vhost: vhost.name, name: exchange.name, type: exchange.type.rawValue,
                        autoDelete: exchange.autoDelete, isInternal: exchange.isInternal, arguments: exchange.arguments))
                }
                for binding in exchange.bindings where Self.isDurable(binding.destination, in: vhost) {
                    var toExchange = false
                    if case .exchange = binding.destination { toExchange = true }
                    bindings.append(BindingDefinition(
                        vhost: vhost.name, source: exchange.name, toExchange: toExchange,
                        destination: binding.destination.name, routingKey: binding.routingKey,
                        arguments: binding.arguments))
                }
            }
            for queue in vhost.queues.values.filter(\.durable).sorted(by: { $0.name < $1.name }) {
                queues.append(QueueDefinition(vhost: vhost.name, name: queue.name, autoDelete: queue.autoDelete,
                                              arguments: queue.arguments))
            }
        }
    }

    init() {}

    private static func isDurable(_ destination: BindingDestination, in vhost: VirtualHost) -> Bool {
        switch destination {
        case .queue(let name): return vhost.queues[name]?.durable ?? false
        case .exchange(let name): return vhost.exchanges[name]?.durable ?? false
        }
    }

    // MARK: Encoding

    func records() -> [ByteBuffer] {
        var records: [ByteBuffer] = []
        func record(_ kind: Kind, _ strings: [String], _ flags: [Bool], _ table: FieldTable?) {
            var buffer = ByteBuffer()
            buffer.writeInteger(kind.rawValue)
            for string in strings {
                buffer.writeInteger(UInt32(string.utf8.count))
                buffer.writeString(string)
            }
            for flag in flags { buffer.writeInteger(UInt8(flag ? 1 : 0)) }
            if let table { try? buffer.writeFieldTable(table) }
            records.append(buffer)
        }
        for vhost in vhosts { record(.vhost, [vhost], [], nil) }
        for u in users {
            record(.user, [u.name, Self.hashPrefix + u.passwordHash.base64, u.tags.joined(separator: ",")], [u.loopbackOnly], nil)
        }
        for p in permissions { record(.permission, [p.user, p.vhost, p.configure, p.write, p.read], [], nil) }
        for t in topicPermissions { record(.topicPermission, [t.user, t.vhost, t.exchange, t.write, t.read], [], nil) }
        for e in exchanges { record(.exchange, [e.vhost, e.name, e.type], [e.autoDelete, e.isInternal], e.arguments) }
        for q in queues { record(.queue, [q.vhost, q.name], [q.autoDelete], q.arguments) }
        for p in policies {
            let policy = p.policy
            record(.policy, [policy.vhost, policy.name, policy.pattern, policy.applyTo.rawValue, String(policy.priority)],
                   [p.isOperator], policy.definition)
        }
        for b in bindings {
            record(.binding, [b.vhost, b.source, b.destination, b.routingKey], [b.toExchange], b.arguments)
        }
        return records
    }

    /// Reads the records back; a record that does not parse is skipped.
    init(records: [ByteBuffer]) {
        for var record in records {
            guard let raw = record.readInteger(as: UInt8.self), let kind = Kind(rawValue: raw) else { continue }
            func strings(_ count: Int) -> [String]? {
                var result: [String] = []
                for _ in 0..<count {
                    guard let length = record.readInteger(as: UInt32.self),
                          let string = record.readString(length: Int(length))
                    else { return nil }
                    result.append(string)
                }
                return result
            }
            func flags(_ count: Int) -> [Bool]? {
                var result: [Bool] = []
                for _ in 0..<count {
                    guard let byte = record.readInteger(as: UInt8.self) else { return nil }
                    result.append(byte != 0)
                }
                return result
            }
            switch kind {
            case .vhost:
                if let s = strings(1) { vhosts.append(s[0]) }
            case .exchange:
                guard let s = strings(3), let f = flags(2), let table = try? record.readFieldTable() else { continue }
                exchanges.append(ExchangeDefinition(vhost: s[0], name: s[1], type: s[2], autoDelete: f[0],
                                                    isInternal: f[1], arguments: table))
            case .queue:
                guard let s = strings(2), let f = flags(1), let table = try? record.readFieldTable() else { continue }
                queues.append(QueueDefinition(vhost: s[0], name: s[1], autoDelete: f[0], arguments: table))
            case .user:
                guard let s = strings(3), let f = flags(1) else { continue }
                // Definitions written before passwords were hashed hold the password itself.
                let hash = s[1].hasPrefix(Self.hashPrefix)
                    ? PasswordHash(base64: String(s[1].dropFirst(Self.hashPrefix.count)))
                    : PasswordHash(password: s[1])
                guard let hash else { continue }
                users.append(BrokerConfiguration.User(name: s[0], passwordHash: hash, loopbackOnly: f[0],
                                                      tags: s[2].split(separator: ",").map(String.init)))
            case .permission:
                guard let s = strings(5) else { continue }
                permissions.append(Permission(user: s[0], vhost: s[1], configure: s[2], write: s[3], read: s[4]))
            case .topicPermission:
                guard let s = strings(5) else { continue }
                topicPermissions.append(TopicPermission(user: s[0], vhost: s[1], exchange: s[2], write: s[3], read: s[4]))
            case .policy:
                guard let s = strings(5), let f = flags(1), let table = try? record.readFieldTable(),
                      let applyTo = Policy.ApplyTo(rawValue: s[3]), let priority = Double(s[4])
                else { continue }
                policies.append(PolicyDefinition(
                    policy: Policy(vhost: s[0], name: s[1], pattern: s[2], applyTo: applyTo, priority: priority,
                                   definition: table),
                    isOperator: f[0]))
            case .binding:
                guard let s = strings(4), let f = flags(1), let table = try? record.readFieldTable() else { continue }
                bindings.append(BindingDefinition(vhost: s[0], source: s[1], toExchange: f[0], destination: s[2],
                                                  routingKey: s[3], arguments: table))
            }
        }
    }
}
