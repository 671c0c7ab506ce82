// Vhosts, users and permissions as the management API changes them.
extension ManagementOperations {
    /// Adds a vhost; returns false if it existed. The user who creates it gets full permissions
    /// on it, as RabbitMQ's management API grants them.
    package func addVirtualHost(_ name: String, grantTo user: String? = nil) -> Bool {
        guard core.vhosts[name] == nil else { return false }
        core.addVirtualHost(name)
        if let user, core.permission(user: user, vhost: name) == nil {
            core.configuration.permissions = (core.configuration.permissions ?? []) + [Permission(user: user, vhost: name)]
        }
        return true
    }

    /// Deletes a vhost: its connections are closed, its queues and exchanges go, and every
    /// permission in it.
    package func deleteVirtualHost(_ name: String) throws(ManagementError) {
        let vhost = try self.vhost(name)
        core.vhosts[name] = nil
        core.configuration.virtualHosts.removeAll { $0 == name }
        core.configuration.permissions?.removeAll { $0.vhost == name }
        core.configuration.topicPermissions.removeAll { $0.vhost == name }
        for connection in core.connections.values where connection.vhost === vhost {
            connection.closeConnection(BrokerError(.connectionForced, "vhost '\(name)' is deleted"))
        }
        for queue in Array(vhost.queues.values) { vhost.deleteQueue(queue) }
    }

    /// Adds or replaces a user; returns false if it existed. A user that may only connect from
    /// loopback (guest) stays so when replaced, as RabbitMQ's `loopback_users` goes by name, not
    /// by the user record: importing RabbitMQ's definitions does not open guest to the network.
    /// Permissions are not touched: a new user has none.
    package func putUser(_ user: BrokerConfiguration.User) -> Bool {
        var user = user
        let existing = core.configuration.users.first { $0.name == user.name }
        if existing?.loopbackOnly == true { user.loopbackOnly = true }
        core.configuration.users.removeAll { $0.name == user.name }
        core.configuration.users.append(user)
        return existing == nil
    }

    /// Deletes a user and their permissions.
    package func deleteUser(_ name: String) throws(ManagementError) {
        guard core.configuration.users.contains(where: { $0.name == name }) else {
            throw ManagementError(.notFound, "no user '\(name)'")
        }
        core.configuration.users.removeAll { $0.name == name }
        core.configuration.permissions?.removeAll { $0.user == name }
        core.configuration.topicPermissions.removeAll { $0.user == name }
        // As RabbitMQ's connection tracking on user_deleted.
        for connection in core.connections.values where connection.isOpen && connection.username == name {
            connection.closeConnection(BrokerError(.connectionForced, "user '\(name)' is deleted"))
        }
    }

    private func requireUserAndVhost(_ user: String, _ vhost: String) throws(ManagementError) {
        guard core.vhosts[vhost] != nil, core.configuration.users.contains(where: { $0.name == user }) else {
            throw ManagementError(.badRequest, "vhost_or_user_not_found")
        }
    }

    /// Sets a user's permissions in a vhost; returns false if they had some there already.
    package func putPermission(_ permission: Permission) throws(ManagementError) -> Bool {
        try requireUserAndVhost(permission.user, permission.vhost)
        var all = core.configuration.permissions ?? []
        let existed = all.contains { $0.user == permission.user && $0.vhost == permission.vhost }
        all.removeAll { $0.user == permission.user && $0.vhost == permission.vhost }
        all.append(permission)
        core.configuration.permissions = all
        return !existed
    }

    package func deletePermission(user: String, vhost: String) throws(ManagementError) {
        guard core.permission(user: user, vhost: vhost) != nil else { throw ManagementError(.notFound, "Not Found") }
        core.configuration.permissions?.removeAll { $0.user == user && $0.vhost == vhost }
    }

    /// Sets a user's topic permissions on one exchange of a vhost; returns false if they had
    /// some there already.
    package func putTopicPermission(_ permission: TopicPermission) throws(ManagementError) -> Bool {
        try requireUserAndVhost(permission.user, permission.vhost)
        let same: (TopicPermission) -> Bool = {
            $0.user == permission.user && $0.vhost == permission.vhost && $0.exchange == permission.exchange
        }
        let existed = core.configuration.topicPermissions.contains(where: same)
        core.configuration.topicPermissions.removeAll(where: same)
        core.configuration.topicPermissions.append(permission)
        return !existed
    }

    /// Deletes a user's topic permissions in a vhost (on one exchange, or on all).
    package func deleteTopicPermissions(user: String, vhost: String, exchange: String?) throws(ManagementError) {
        let matching: (TopicPermission) -> Bool = {
            $0.user == user && $0.vhost == vhost && (exchange == nil || $0.exchange == exchange)
        }
        guard core.configuration.topicPermissions.contains(where: matching) else {
            throw ManagementError(.notFound, "Not Found")
        }
        core.configuration.topicPermissions.removeAll(where: matching)
    }
}
