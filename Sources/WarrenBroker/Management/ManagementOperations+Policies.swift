// Policies and operator policies as the management API changes them (checked there first).
extension ManagementOperations {
    /// Sets a policy or operator policy and applies it at once to the vhost's queues and
    /// exchanges; returns whether it is new. A vhost that does not exist is RabbitMQ's 404
    /// `vhost_not_found`.
    package func putPolicy(_ policy: Policy, operator isOperator: Bool) throws(ManagementError) -> Bool {
        guard let vhost = core.vhosts[policy.vhost] else {
            throw ManagementError(.notFoundExplained, "vhost_not_found")
        }
        return vhost.setPolicy(policy, operator: isOperator)
    }

    /// Clears a policy or operator policy; every object it applied to gets the next matching one.
    package func deletePolicy(vhost name: String, name policy: String, operator isOperator: Bool)
        throws(ManagementError)
    {
        guard let vhost = core.vhosts[name], vhost.clearPolicy(policy, operator: isOperator) else {
            throw ManagementError(.objectNotFound, "Not Found")
        }
    }
}
