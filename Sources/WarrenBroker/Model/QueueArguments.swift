import WarrenWire

/// The `x-` arguments of a queue that change its behaviour, checked as RabbitMQ checks them.
struct QueueArguments {
    enum Overflow: String {
        case dropHead = "drop-head"
        case rejectPublish = "reject-publish"
        case rejectPublishDLX = "reject-publish-dlx"
    }

    enum Kind: String {
        case classic, quorum
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
        "x-single-active-consumer", "x-delivery-limit",
    ]

    /// Checks the arguments as RabbitMQ 3.10 does; errors read "invalid arg 'KEY' for queue
    /// 'NAME' in vhost 'VHOST': REASON" with RabbitMQ's Erlang-term reasons.
    init(_ table: FieldTable, queue: String, vhost: String) throws(BrokerError) {
        func fail(_ key: String, _ reason: String) -> BrokerError {
            .precondition("invalid arg '\(key)' for queue '\(queue)' in vhost '\(vhost)': \(reason)")
        }
        func integer(_ key: String, _ value: FieldValue) throws(BrokerError) -> Int64 {
            guard let n = value.int64Value else {
                throw fail(key, "\"expected integer, got \(ServerChannel.typeName(value))\"")
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
                throw fail(key, "{unacceptable_type,\(ServerChannel.typeName(value))}")
            }
            return text
        }
        // RabbitMQ checks arguments in a fixed order, so the first refusal reported is the same.
        for key in Self.checkOrder {
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
            case "x-delivery-limit": deliveryLimit = try nonNegative(key, value)
            case "x-overflow":
                guard let o = Overflow(rawValue: try string(key, value)) else { throw fail(key, "invalid_overflow") }
                overflow = o
            case "x-dead-letter-exchange": deadLetterExchange = try string(key, value)
            case "x-dead-letter-routing-key": deadLetterRoutingKey = try string(key, value)
            case "x-single-active-consumer":
                guard let flag = value.boolValue else {
                    throw fail(key, "\"expected bool, got \(ServerChannel.typeName(value))\"")
                }
                singleActiveConsumer = flag
            case "x-queue-type":
                let text = try string(key, value)
                guard let k = Kind(rawValue: text) else { throw fail(key, "{unsupported_value,\"\(text)\"}") }
                kind = k
            case "x-queue-mode":
                let text = try string(key, value)
                guard text == "default" || text == "lazy" else { throw fail(key, "invalid_queue_mode") }
                lazy = text == "lazy"
            default:
                // Unreachable: every key in checkOrder has a case; unknown keys are never looked at.
                break
            }
        }
        if deadLetterRoutingKey != nil && deadLetterExchange == nil {
            throw fail("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined")
        }
    }
}
