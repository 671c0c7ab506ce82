import Foundation
import WarrenWire

/// A policy or an operator policy of one vhost, as RabbitMQ 3.10 keeps them (runtime parameters
/// of the components `policy` and `operator_policy`): a regular expression over queue and
/// exchange names, what kind of object it applies to, a priority and a definition.
package struct Policy: Sendable, Equatable {
    package enum ApplyTo: String, Sendable {
        case all, queues, exchanges
    }

    package var vhost: String
    package var name: String
    package var pattern: String
    package var applyTo: ApplyTo
    /// Any JSON number, as RabbitMQ accepts one (1.5 included).
    package var priority: Double
    /// The settings, keys in bytewise order as RabbitMQ lists them.
    package var definition: FieldTable

    package init(vhost: String, name: String, pattern: String, applyTo: ApplyTo = .all, priority: Double = 0,
                 definition: FieldTable) {
        self.vhost = vhost
        self.name = name
        self.pattern = pattern
        self.applyTo = applyTo
        self.priority = priority
        self.definition = VirtualHost.sortedKeys(definition)
    }

    package static func == (a: Policy, b: Policy) -> Bool {
        a.vhost == b.vhost && a.name == b.name && a.pattern == b.pattern && a.applyTo == b.applyTo
            && a.priority == b.priority && a.definition.entries.elementsEqual(b.definition.entries) { $0 == $1 }
    }

    /// Definition keys a queue type cannot take: a policy holding one applies to no queue of
    /// that type at all, and the next matching policy does (the `unsupported_policies` of
    /// rabbit_classic_queue:capabilities/0 and rabbit_quorum_queue:capabilities/0, as
    /// rabbit_queue_type:is_policy_applicable/2 checks them).
    static func unsupported(by kind: QueueArguments.Kind) -> Set<String> {
        switch kind {
        case .classic:
            return ["max-age", "stream-max-segment-size-bytes", "queue-leader-locator", "initial-cluster-size",
                    "delivery-limit", "dead-letter-strategy"]
        case .quorum:
            return ["max-priority", "queue-mode", "single-active-consumer", "ha-mode", "ha-params", "ha-sync-mode",
                    "ha-promote-on-shutdown", "ha-promote-on-failure", "queue-master-locator", "max-age",
                    "stream-max-segment-size-bytes", "initial-cluster-size"]
        case .stream:
            return []
        }
    }

    /// The keys whose operator-policy value combines with the policy's as the lower of the two
    /// (rabbit_policies:merge_policy_value/3); for any other key in both, the operator policy's.
    static let lowerWins: Set<String> = ["message-ttl", "max-length", "max-length-bytes", "max-in-memory-length",
                                         "max-in-memory-bytes", "expires", "delivery-limit"]

    /// The definition that applies to an object with this policy and operator policy, as
    /// rabbit_policy:merge_operator_definitions/2 builds it: every key of either, sorted; a key
    /// in both takes the lower value for the limits in `lowerWins`.
    static func merged(_ policy: Policy?, _ operatorPolicy: Policy?) -> FieldTable {
        guard let operatorPolicy else { return policy?.definition ?? FieldTable() }
        guard let policy else { return operatorPolicy.definition }
        var merged = policy.definition
        for (key, value) in operatorPolicy.definition.entries {
            if let own = merged[key], lowerWins.contains(key), let a = own.int64Value, let b = value.int64Value {
                merged[key] = a <= b ? own : value
            } else {
                merged[key] = value
            }
        }
        return VirtualHost.sortedKeys(merged)
    }
}

/// The policies of one vhost and the regular expressions they match with.
struct PolicySet {
    private(set) var policies: [String: Policy] = [:]
    private(set) var operatorPolicies: [String: Policy] = [:]
    private var compiled: [String: NSRegularExpression?] = [:]

    subscript(name: String, operator isOperator: Bool) -> Policy? {
        get { isOperator ? operatorPolicies[name] : policies[name] }
        set {
            if isOperator { operatorPolicies[name] = newValue } else { policies[name] = newValue }
        }
    }

    var all: [Policy] { Array(policies.values) }
    var allOperator: [Policy] { Array(operatorPolicies.values) }

    /// The policy an object gets, as rabbit_policy:match/2 picks it: of those whose apply-to
    /// takes the object's kind, whose definition the queue's type supports
    /// (rabbit_policy:is_applicable/2) and whose pattern matches the name anywhere (re:run, not
    /// anchored), the one with the highest priority. RabbitMQ leaves the order of equal
    /// priorities to its parameter table; here the lower name wins, so it is at least stable.
    mutating func match(_ name: String, queueKind: QueueArguments.Kind?, operator isOperator: Bool) -> Policy? {
        let candidates = isOperator ? operatorPolicies : policies
        var best: Policy?
        for policy in candidates.values.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            switch (policy.applyTo, queueKind) {
            case (.queues, nil), (.exchanges, .some): continue
            default: break
            }
            if let kind = queueKind {
                let unsupported = Policy.unsupported(by: kind)
                if policy.definition.keys.contains(where: unsupported.contains) { continue }
            }
            guard matches(policy.pattern, name) else { continue }
            if best == nil || policy.priority > best!.priority { best = policy }
        }
        return best
    }

    private mutating func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern.isEmpty { return true }
        let regex: NSRegularExpression?
        if let cached = compiled[pattern] {
            regex = cached
        } else {
            regex = try? NSRegularExpression(pattern: pattern)
            compiled[pattern] = regex
        }
        guard let regex else { return false }
        return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
}
