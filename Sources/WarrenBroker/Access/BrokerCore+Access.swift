/// The one place that decides who may do what: the AMQP channel, the handshake and the
/// management API all ask here, so each rule is written once. Checks read the current users and
/// permissions, so a change through the management API applies to the next check.
extension BrokerCore {
    /// The kinds of resources permissions are about.
    enum ResourceKind: String {
        case queue, exchange
    }

    /// RabbitMQ's impersonator tag: the user may publish with another user's `user_id`.
    func isImpersonator(_ user: String) -> Bool {
        configuration.users.first { $0.name == user }?.tags.contains(UserTag.impersonator) ?? false
    }

    func permission(user: String, vhost: String) -> Permission? {
        configuration.permissions?.first { $0.user == user && $0.vhost == vhost }
    }

    /// Whether the user has any permissions in the vhost: what connection.open and the
    /// management API's vhost checks require.
    func hasVhostAccess(user: String, vhost: String) -> Bool {
        permission(user: user, vhost: vhost) != nil
    }

    /// connection.open's check, with RabbitMQ's 530 and wording.
    func checkVhostAccess(user: String, vhost: String) throws(BrokerError) {
        guard hasVhostAccess(user: user, vhost: vhost) else {
            throw .notAllowed("access to vhost '\(vhost)' refused for user '\(user)'")
        }
    }

    /// RabbitMQ's check_resource_access: the name must match the permission's pattern. The
    /// default exchange is checked, and reported, as `amq.default`.
    func checkAccess(
        user: String, vhost: String, _ kind: ResourceKind, _ name: String, _ access: Access
    ) throws(BrokerError) {
        let resource = kind == .exchange && name.isEmpty ? "amq.default" : name
        guard let permission = permission(user: user, vhost: vhost),
              patterns.matches(permission.pattern(access), resource)
        else {
            throw .accessRefused("access to \(kind.rawValue) '\(resource)' in vhost '\(vhost)' refused for user '\(user)'")
        }
    }

    /// Topic permissions, checked for topic exchanges only: with none for this exchange every
    /// key is allowed, else the key must match the write (publish) or read (bind) pattern.
    /// `{username}` and `{vhost}` in a pattern stand for the user's name and the vhost.
    func checkTopicAccess(
        user: String, vhost: String, exchange: Exchange, routingKey: String, _ access: Access
    ) throws(BrokerError) {
        guard exchange.type == .topic, !configuration.topicPermissions.isEmpty else { return }
        let matching = configuration.topicPermissions.filter {
            $0.user == user && $0.vhost == vhost && $0.exchange == exchange.name
        }
        guard !matching.isEmpty else { return }
        let allowed = matching.contains { topic in
            let pattern = TopicPermission.expand(access == .write ? topic.write : topic.read, user: user, vhost: vhost)
            return patterns.matches(pattern, routingKey)
        }
        guard allowed else {
            throw .accessRefused("access to topic '\(routingKey)' in exchange '\(exchange.name)' in vhost '\(vhost)' "
                + "refused for user '\(user)'")
        }
    }
}
