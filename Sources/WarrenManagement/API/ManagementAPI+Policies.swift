import WarrenBroker
import WarrenWire

// /api/policies and /api/operator-policies, as RabbitMQ 3.10.8's rabbit_mgmt_wm_policy(ies) and
// rabbit_mgmt_wm_operator_policy(ies) answer them. Who may do what is checked in scope(for:).
extension ManagementAPI {
    /// A policy in RabbitMQ's key order (rabbit_policy:p/2).
    static func render(_ policy: Policy) -> JSON {
        .object([("vhost", .string(policy.vhost)), ("name", .string(policy.name)), ("pattern", .string(policy.pattern)),
                 ("apply-to", .string(policy.applyTo.rawValue)), ("definition", JSON(policy.definition)),
                 ("priority", renderNumber(policy.priority))])
    }

    static func renderNumber(_ value: Double) -> JSON {
        value.rounded() == value && abs(value) < 9_007_199_254_740_992 ? .int(Int64(value)) : .double(value)
    }

    /// GET /api/policies[/VHOST[/NAME]] and the same under /api/operator-policies. Lists are
    /// sorted by priority, then (as RabbitMQ's sort compares the rest of each entry) vhost and name.
    func policies(_ rest: [String], operator isOperator: Bool, request: APIRequest) async throws(RequestError)
        -> APIResponse
    {
        let snapshot = try await snapshot([])
        if rest.count >= 1 { try requireVhost(rest[0], in: snapshot) }
        let all = isOperator ? snapshot.operatorPolicies : snapshot.policies
        switch rest.count {
        case 0, 1:
            let visible = all.filter { request.scope.loginVhosts.contains($0.vhost) && (rest.isEmpty || $0.vhost == rest[0]) }
            let sorted = visible.sorted { a, b in
                if a.priority != b.priority { return a.priority < b.priority }
                if a.vhost != b.vhost { return a.vhost.utf8.lexicographicallyPrecedes(b.vhost.utf8) }
                return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
            }
            let query = try ListQuery(request.query, node: "")
            return .ok(try query.respond(sorted.map(Self.render), total: sorted.count))
        case 2:
            guard let found = all.first(where: { $0.vhost == rest[0] && $0.name == rest[1] }) else { throw .notFound }
            return .ok(Self.render(found))
        default:
            throw .notFound
        }
    }

    /// PUT /api/policies/VHOST/NAME (and operator-policies): 201 for a new one, 204 for a change.
    func putPolicy(_ vhost: String, _ name: String, _ body: JSON, operator isOperator: Bool)
        async throws(RequestError) -> APIResponse
    {
        let snapshot = try await snapshot([])
        guard snapshot.vhosts.contains(vhost) else {
            throw RequestError(status: 404, error: "not_found", reason: "vhost_not_found")
        }
        let missing = ["pattern", "definition"].filter { body[$0] == nil }
        guard missing.isEmpty else {
            throw .badRequest("[" + missing.map { "{key_missing,\($0)}" }.joined(separator: ",") + "]")
        }
        let policy = try PolicyValidation.policy(vhost: vhost, name: name, body, operator: isOperator)
        let created = try await operate { ops throws(ManagementError) in
            try ops.putPolicy(policy, operator: isOperator)
        }
        return created ? .created : .noContent
    }

    /// DELETE /api/policies/VHOST/NAME (and operator-policies).
    func deletePolicy(_ vhost: String, _ name: String, operator isOperator: Bool) async throws(RequestError) {
        try await operate { ops throws(ManagementError) in
            try ops.deletePolicy(vhost: vhost, name: name, operator: isOperator)
        }
    }
}
