import WarrenBroker

// /api/permissions, /api/topic-permissions, /api/users/NAME/permissions and
// /api/vhosts/NAME/permissions, in RabbitMQ's shapes. Administrators only (checked in scope(for:)).
extension ManagementAPI {
    static func render(_ p: Permission) -> JSON {
        .object([("user", .string(p.user)), ("vhost", .string(p.vhost)), ("configure", .string(p.configure)),
                 ("write", .string(p.write)), ("read", .string(p.read))])
    }

    static func render(_ t: TopicPermission) -> JSON {
        .object([("user", .string(t.user)), ("vhost", .string(t.vhost)), ("exchange", .string(t.exchange)),
                 ("write", .string(t.write)), ("read", .string(t.read))])
    }

    /// GET /api/permissions[/VHOST/USER] and /api/topic-permissions[/VHOST/USER].
    func permissions(_ rest: [String], topic: Bool, query: ListQuery) async throws(RequestError) -> APIResponse {
        let snapshot = try await snapshot([])
        switch rest.count {
        case 0:
            let items = topic ? snapshot.topicPermissions.map(Self.render) : snapshot.permissions.map(Self.render)
            return .ok(try query.respond(items, total: items.count))
        case 2:
            let (vhost, user) = (rest[0], rest[1])
            if topic {
                let found = snapshot.topicPermissions.filter { $0.vhost == vhost && $0.user == user }
                guard !found.isEmpty else { throw .notFound }
                return .ok(.array(found.map(Self.render)))
            }
            guard let found = snapshot.permissions.first(where: { $0.vhost == vhost && $0.user == user }) else {
                throw .notFound
            }
            return .ok(Self.render(found))
        default:
            throw .notFound
        }
    }

    /// GET /api/users/NAME/permissions|topic-permissions and /api/vhosts/NAME/permissions|topic-permissions.
    func permissions(of kind: String, _ name: String, topic: Bool) async throws(RequestError) -> APIResponse {
        let snapshot = try await snapshot([])
        let byUser = kind == "users"
        guard byUser ? snapshot.users.contains(where: { $0.name == name }) : snapshot.vhosts.contains(name) else {
            throw .notFound
        }
        if topic {
            return .ok(.array(snapshot.topicPermissions.filter { (byUser ? $0.user : $0.vhost) == name }
                .map(Self.render)))
        }
        return .ok(.array(snapshot.permissions.filter { (byUser ? $0.user : $0.vhost) == name }.map(Self.render)))
    }

    /// PUT /api/permissions/VHOST/USER and /api/topic-permissions/VHOST/USER.
    func putPermission(_ vhost: String, _ user: String, _ body: JSON, topic: Bool) async throws(RequestError)
        -> APIResponse
    {
        let keys = topic ? ["exchange", "write", "read"] : ["configure", "write", "read"]
        let missing = keys.filter { body[$0]?.stringValue == nil }
        guard missing.isEmpty else {
            throw .badRequest("[" + missing.map { "{key_missing,\($0)}" }.joined(separator: ",") + "]")
        }
        let values = keys.map { body[$0]!.stringValue! }
        for pattern in values.dropFirst(topic ? 1 : 0) where !Permission.isValidPattern(pattern, topic: topic) {
            throw .badRequest("invalid_regexp: \(pattern)")
        }
        let created: Bool
        if topic {
            let permission = TopicPermission(user: user, vhost: vhost, exchange: values[0], write: values[1],
                                             read: values[2])
            created = try await operate { ops throws(ManagementError) in try ops.putTopicPermission(permission) }
        } else {
            let permission = Permission(user: user, vhost: vhost, configure: values[0], write: values[1],
                                        read: values[2])
            created = try await operate { ops throws(ManagementError) in try ops.putPermission(permission) }
        }
        return created ? .created : .noContent
    }

    /// DELETE /api/permissions/VHOST/USER and /api/topic-permissions/VHOST/USER.
    func deletePermission(_ vhost: String, _ user: String, topic: Bool, exchange: String?) async throws(RequestError) {
        let snapshot = try await snapshot([])
        let exists = topic
            ? snapshot.topicPermissions.contains { $0.vhost == vhost && $0.user == user && (exchange ?? $0.exchange) == $0.exchange }
            : snapshot.permissions.contains { $0.vhost == vhost && $0.user == user }
        guard exists else { throw .notFound }
        try await operate { ops throws(ManagementError) in
            if topic {
                try ops.deleteTopicPermissions(user: user, vhost: vhost, exchange: exchange)
            } else {
                try ops.deletePermission(user: user, vhost: vhost)
            }
        }
    }
}
