import WarrenWire

/// The `x-` arguments of a queue that change its behaviour, checked as RabbitMQ checks them.
struct QueueArguments {
    enum Overflow: String {
        case dropHead = "drop-head"
        case rejectPublish = "reject-publish"
        case rejectPublishDLX = "reject-publish-dlx"
    }

    enum Kind: String {
        case classic, quorum, stream

        /// The x- arguments RabbitMQ 3.10 accepts for this queue type.
        var supportedArguments: Set<String> {
            switch self {
            case .classic:
                return ["x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
                        "x-max-length", "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode",
                        "x-queue-version", "x-single-active-consumer", "x-queue-type", "x-queue-master-locator"]
            case .quorum:
                return ["x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
                        "x-dead-letter-strategy", "x-max-length", "x-max-length-bytes", "x-max-in-memory-length",
                        "x-max-in-memory-bytes", "x-overflow", "x-single-active-consumer", "x-queue-type",
                        "x-quorum-initial-group-size", "x-delivery-limit", "x-queue-leader-locator"]
            case .stream:
                return ["x-max-length-bytes", "x-queue-type", "x-max-age", "x-stream-max-segment-size-bytes",
                        "x-initial-cluster-size", "x-queue-leader-locator"]
            }
        }

        /// Every argument some queue type knows: one of these on a type that lacks it is refused,
        /// while arguments no type knows are kept and ignored.
        static let knownArguments = classic.supportedArguments.union(quorum.supportedArguments)
            .union(stream.supportedArguments)
    }

    var messageTTL: Int64?
    var expires: Int64?
    var maxLength: Int64?
    var maxLengthBytes: Int64?
    var overflow: Overflow = .dropHead
    var deadLetterExchange: String?
    var deadLetterRoutingKey: String?
    var maxPriority: UInt8?
    var singleActiveConsumer = false
    var kind: Kind = .classic
    var deliveryLimit: Int64?
    var lazy = false

    /// Erlang's timer limit, which RabbitMQ applies to x-message-ttl and x-expires (ms).
    static let maximumTimer: Int64 = 4_294_967_295

    static let checkOrder = [
        "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-length",
        "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode", "x-queue-type",
        "x-single-active-consumer", "x-delivery-limit", "x-queue-version",
    ]

    /// Checks the arguments as RabbitMQ 3.10 does; errors read "invalid arg 'KEY' for queue
    /// 'NAME' in vhost 'VHOST': REASON" with RabbitMQ's Erlang-term reasons.
    init(_ table: FieldTable, queue: String, vhost: String) throws(BrokerError) {
        func fail(_ key: String, _ reason: String) -> BrokerError {
            .precondition("invalid arg '\(key)' for queue '\(queue)' in vhost '\(vhost)': \(reason)")
        }
        func integer(_ key: String, _ value: FieldValue) throws(BrokerError) -> Int64 {
            guard let n = value.int64Value else {
                throw fail(key, "\"expected integer, got \(ArgumentEquivalence.typeName(value))\"")
            }
            return n
        }
        func nonNegative(_ key: String, _ value: FieldValue) throws(BrokerError) -> Int64 {
            let n = try integer(key, value)
            guard n >= 0 else { throw fail(key, "{value_negative,\(n)}") }
            return n
        }
        func string(_ key: String, _ value: FieldValue) throws(BrokerError) -> String {
            guard let text = value.stringValue else {
                throw fail(key, "{unacceptable_type,\(ArgumentEquivalence.typeName(value))}")
            }
            return text
        }
        // The queue type comes first: it decides which arguments are checked at all.
        if let value = table["x-queue-type"] {
            let text = try string("x-queue-type", value)
            guard let k = Kind(rawValue: text) else { throw fail("x-queue-type", "\"unsupported queue type '\(text)'\"") }
            kind = k
        }
        let supported = kind.supportedArguments
        // RabbitMQ checks the type's arguments in a fixed order, so the first refusal reported is the same.
        for key in Self.checkOrder where supported.contains(key) {
            guard let value = table[key] else { continue }
            switch key {
            case "x-message-ttl":
                let n = try nonNegative(key, value)
                if n > Self.maximumTimer { throw fail(key, "{value_too_big,\(n)}") }
                messageTTL = n
            case "x-expires":
                let n = try integer(key, value)
                if n == 0 { throw fail(key, "{value_zero,0}") }
                if n < 0 { throw fail(key, "{value_negative,\(n)}") }
                if n > Self.maximumTimer { throw fail(key, "{value_too_big,\(n)}") }
                expires = n
            case "x-max-length": maxLength = try nonNegative(key, value)
            case "x-max-length-bytes": maxLengthBytes = try nonNegative(key, value)
            case "x-max-priority":
                let p = try nonNegative(key, value)
                guard p <= 255 else { throw fail(key, "{max_value_exceeded,\(p)}") }
                maxPriority = UInt8(p)
            case "x-delivery-limit":
                // RabbitMQ 3.10 does not check the type; only an integer sets a limit.
                deliveryLimit = value.int64Value
            case "x-overflow":
                guard let o = Overflow(rawValue: try string(key, value)) else { throw fail(key, "invalid_overflow") }
                overflow = o
            case "x-dead-letter-exchange": deadLetterExchange = try string(key, value)
            case "x-dead-letter-routing-key": deadLetterRoutingKey = try string(key, value)
            case "x-single-active-consumer":
                guard let flag = value.boolValue else {
                    throw fail(key, "{unacceptable_type,\(ArgumentEquivalence.typeName(value))}")
                }
                singleActiveConsumer = flag
            case "x-queue-type":
                break
            case "x-queue-mode":
                let text = try string(key, value)
                guard text == "default" || text == "lazy" else { throw fail(key, "\"unsupported queue mode '\(text)'\"") }
                lazy = text == "lazy"
            case "x-queue-version":
                let version = try integer(key, value)
                guard version == 1 || version == 2 else { throw fail(key, "\"unsupported queue version '\(version)'\"") }
            default:
                // Unreachable: every key in checkOrder has a case; unknown keys are never looked at.
                break
            }
        }
        if kind == .quorum { overflow = Self.quorumOverflow(overflow) }
        if deadLetterRoutingKey != nil && deadLetterExchange == nil {
            throw fail("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined")
        }
        // Then arguments of another queue type, in the order the client sent them.
        for key in table.keys where Kind.knownArguments.contains(key) && !supported.contains(key) {
            throw .precondition("invalid arg '\(key)' for queue '\(queue)' in vhost '\(vhost)' of queue type "
                + "rabbit_\(kind.rawValue)_queue")
        }
    }

    /// RabbitMQ's checks of a quorum or stream queue's properties, made after its arguments:
    /// such queues are durable, shared and never auto-deleted. `durable` is already false for an
    /// exclusive declaration, as in RabbitMQ.
    func checkProperties(durable: Bool, exclusive: Bool, autoDelete: Bool, queue: String,
                         vhost: String) throws(BrokerError) {
        guard kind != .classic else { return }
        let refused = autoDelete ? "auto-delete" : exclusive ? "exclusive-owner" : !durable ? "non-durable" : nil
        if let refused {
            throw .precondition("invalid property '\(refused)' for queue '\(queue)' in vhost '\(vhost)'")
        }
        if kind == .stream {
            // Streams are a queue type of their own that the embedded broker does not implement.
            throw .precondition("invalid arg 'x-queue-type' for queue '\(queue)' in vhost '\(vhost)': "
                + "\"unsupported queue type 'stream'\"")
        }
    }
}
