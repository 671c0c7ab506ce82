import WarrenWire

extension QueueArguments {
    /// The settings a queue runs with: its own x- arguments (already checked, in `self`)
    /// combined with the definition of its policy and operator policy as ``Policy/merged(_:_:)``
    /// makes it (rabbit_policy:get/2). Each key is resolved as rabbit_queue_type_util:
    /// args_policy_lookup/3 does with the resolver the queue type gives it:
    ///
    /// - classic queues (rabbit_amqqueue_process:process_args_policy/1): `expires`,
    ///   `message-ttl`, `max-length` and `max-length-bytes` take the lower of argument and policy
    ///   (res_min); `dead-letter-exchange`, `dead-letter-routing-key`, `overflow` and `queue-mode`
    ///   take the argument when there is one (res_arg). Each key on its own: an argument
    ///   dead-letter exchange goes with a policy's routing key.
    /// - quorum queues (rabbit_quorum_queue:ra_machine_config/1 and dead_letter_handler/2):
    ///   `max-length`, `max-length-bytes`, `delivery-limit` and `message-ttl` the lower of the
    ///   two; `overflow` and `expires` the policy's (policyHasPrecedence); the dead-letter
    ///   exchange and routing key the argument's (queueArgHasPrecedence).
    func applying(_ policy: FieldTable, arguments: FieldTable) -> QueueArguments {
        guard !policy.isEmpty else { return self }
        var effective = self
        func lower(_ argument: Int64?, _ key: String) -> Int64? {
            guard let fromPolicy = policy[key]?.int64Value else { return argument }
            guard let argument else { return fromPolicy }
            return min(argument, fromPolicy)
        }
        func argumentFirst(_ key: String) -> String? {
            arguments["x-" + key]?.stringValue ?? policy[key]?.stringValue
        }
        func policyFirst(_ key: String) -> String? {
            policy[key]?.stringValue ?? arguments["x-" + key]?.stringValue
        }
        effective.messageTTL = lower(messageTTL, "message-ttl")
        effective.maxLength = lower(maxLength, "max-length")
        effective.maxLengthBytes = lower(maxLengthBytes, "max-length-bytes")
        effective.deadLetterExchange = argumentFirst("dead-letter-exchange")
        effective.deadLetterRoutingKey = argumentFirst("dead-letter-routing-key")
        switch kind {
        case .quorum:
            if let fromPolicy = policy["expires"]?.int64Value { effective.expires = fromPolicy }
            effective.deliveryLimit = lower(deliveryLimit, "delivery-limit")
            effective.overflow = Self.quorumOverflow(policyFirst("overflow").flatMap(Overflow.init(rawValue:)) ?? overflow)
        case .classic, .stream:
            effective.expires = lower(expires, "expires")
            effective.overflow = argumentFirst("overflow").flatMap(Overflow.init(rawValue:)) ?? overflow
            if let mode = argumentFirst("queue-mode") { effective.lazy = mode == "lazy" }
        }
        return effective
    }

    /// A quorum queue takes reject-publish-dlx, from an argument or a policy, as drop-head
    /// (rabbit_quorum_queue:overflow/3 logs it as invalid and keeps the default).
    static func quorumOverflow(_ overflow: Overflow) -> Overflow {
        overflow == .rejectPublishDLX ? .dropHead : overflow
    }
}
