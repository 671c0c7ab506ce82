import Testing
@testable import WarrenBroker
import WarrenWire

/// How policies resolve, without a broker: which one an object gets, how an operator policy
/// combines with it, and how the result combines with a queue's own arguments per queue type.
@Suite struct PolicyResolutionTests {
    static func policy(_ name: String, _ pattern: String, _ priority: Double, _ applyTo: Policy.ApplyTo = .all,
                       _ definition: FieldTable) -> Policy {
        Policy(vhost: "/", name: name, pattern: pattern, applyTo: applyTo, priority: priority, definition: definition)
    }

    @Test func theHighestPriorityMatchingPolicyWinsAndApplyToIsRespected() {
        var set = PolicySet()
        set["low", operator: false] = Self.policy("low", "^a", 1, .all, ["max-length": .int64(1)])
        set["high", operator: false] = Self.policy("high", "b", 5, .queues, ["max-length": .int64(2)])
        set["x", operator: false] = Self.policy("x", "", 9, .exchanges, ["alternate-exchange": .string("ae")])
        set["quorum", operator: false] = Self.policy("quorum", "^ab$", 20, .all, ["delivery-limit": .int64(1)])
        #expect(set.match("abc", queueKind: .classic, operator: false)?.name == "high", "unanchored match")
        #expect(set.match("ab", queueKind: .classic, operator: false)?.name == "high", "delivery-limit skips classic")
        #expect(set.match("ab", queueKind: .quorum, operator: false)?.name == "quorum")
        #expect(set.match("ax", queueKind: .classic, operator: false)?.name == "low")
        #expect(set.match("abc", queueKind: nil, operator: false)?.name == "x", "exchanges only see their policies")
        #expect(set.match("zzz", queueKind: .classic, operator: false) == nil)
        #expect(set.match("abc", queueKind: .classic, operator: true) == nil)
    }

    @Test func anOperatorPolicyTakesTheLowerLimitAndAddsItsKeys() {
        let user = Self.policy("p", ".", 0, .all, ["max-length": .int64(10), "dead-letter-exchange": .string("d")])
        let op = Self.policy("o", ".", 0, .queues, ["max-length": .int64(3), "message-ttl": .int64(100)])
        let merged = Policy.merged(user, op)
        #expect(merged.keys == ["dead-letter-exchange", "max-length", "message-ttl"])
        #expect(merged["max-length"]?.int64Value == 3)
        #expect(Policy.merged(Self.policy("p", ".", 0, .all, ["max-length": .int64(2)]), op)["max-length"]?.int64Value == 2)
        #expect(Policy.merged(nil, op).keys == ["max-length", "message-ttl"])
    }

    @Test func argumentsAgainstThePolicyPerQueueType() throws {
        let policy: FieldTable = ["max-length": .int64(4), "dead-letter-exchange": .string("from-policy"),
                                  "dead-letter-routing-key": .string("policy-key"), "expires": .int64(70_000),
                                  "overflow": .string("reject-publish"), "message-ttl": .int64(9000)]
        let arguments: FieldTable = ["x-max-length": .int32(2), "x-dead-letter-exchange": .string("from-argument"),
                                     "x-expires": .int32(60_000), "x-overflow": .string("drop-head")]
        let classic = try QueueArguments(arguments, queue: "q", vhost: "/").applying(policy, arguments: arguments)
        #expect(classic.maxLength == 2)
        #expect(classic.deadLetterExchange == "from-argument")
        #expect(classic.deadLetterRoutingKey == "policy-key", "each key resolved on its own")
        #expect(classic.expires == 60_000 && classic.messageTTL == 9000, "the lower of the two")
        #expect(classic.overflow == .dropHead, "the argument wins for a classic queue")

        var quorumArguments = arguments
        quorumArguments["x-queue-type"] = .string("quorum")
        let quorum = try QueueArguments(quorumArguments, queue: "q", vhost: "/")
            .applying(policy, arguments: quorumArguments)
        #expect(quorum.overflow == .rejectPublish, "the policy wins for a quorum queue")
        #expect(quorum.expires == 70_000, "the policy wins")
        #expect(quorum.maxLength == 2 && quorum.deadLetterExchange == "from-argument")
    }
}
