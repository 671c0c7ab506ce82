// Setting and clearing policies, and applying them to the vhost's queues and exchanges.
extension VirtualHost {
    /// Sets a policy or operator policy; returns whether it is new. Every queue and exchange
    /// then gets the policies that match it now, as rabbit_policy:update_matched_objects/3 does.
    @discardableResult
    func setPolicy(_ policy: Policy, operator isOperator: Bool) -> Bool {
        let created = policies[policy.name, operator: isOperator] == nil
        policies[policy.name, operator: isOperator] = policy
        reapplyPolicies()
        return created
    }

    /// Clears a policy or operator policy; returns whether there was one.
    @discardableResult
    func clearPolicy(_ name: String, operator isOperator: Bool) -> Bool {
        guard policies[name, operator: isOperator] != nil else { return false }
        policies[name, operator: isOperator] = nil
        reapplyPolicies()
        return true
    }

    func reapplyPolicies() {
        for exchange in exchanges.values {
            exchange.policy = policies.match(exchange.name, queueKind: nil, operator: false)
        }
        for name in queues.keys.sorted() {
            guard let queue = queues[name] else { continue }
            applyPolicies(to: queue)
        }
    }

    /// Gives a queue the policy and operator policy that match it (rabbit_policy:set/1 on
    /// declare, update_queue/3 when policies change).
    func applyPolicies(to queue: BrokerQueue) {
        let kind = queue.declaredSettings.kind
        queue.apply(policy: policies.match(queue.name, queueKind: kind, operator: false),
                    operatorPolicy: policies.match(queue.name, queueKind: kind, operator: true))
    }
}
