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

    init(_ table: FieldTable) throws(BrokerError) {
        for (key, value) in table.entries {
            switch key {
            case "x-message-ttl": messageTTL = try Self.integer(key, value, minimum: 0)
            case "x-expires": expires = try Self.integer(key, value, minimum: 1)
            case "x-max-length": maxLength = try Self.integer(key, value, minimum: 0)
            case "x-max-length-bytes": maxLengthBytes = try Self.integer(key, value, minimum: 0)
            case "x-max-priority":
                let p = try Self.integer(key, value, minimum: 0)
                guard p <= 255 else { throw Self.invalid(key, value, "max value 255") }
                maxPriority = UInt8(p)
            case "x-delivery-limit": deliveryLimit = try Self.integer(key, value, minimum: 0)
            case "x-overflow":
                guard let text = value.stringValue, let o = Overflow(rawValue: text) else {
                    throw Self.invalid(key, value, "expected one of drop-head, reject-publish, reject-publish-dlx")
                }
                overflow = o
            case "x-dead-letter-exchange":
                guard let text = value.stringValue else { throw Self.invalid(key, value, "expected a string") }
                deadLetterExchange = text
            case "x-dead-letter-routing-key":
                guard let text = value.stringValue else { throw Self.invalid(key, value, "expected a string") }
                deadLetterRoutingKey = text
            case "x-single-active-consumer":
                guard let flag = value.boolValue else { throw Self.invalid(key, value, "expected a boolean") }
                singleActiveConsumer = flag
            case "x-queue-type":
                guard let text = value.stringValue else { throw Self.invalid(key, value, "expected a string") }
                guard let k = Kind(rawValue: text) else {
                    throw .precondition("invalid arg 'x-queue-type' for queue: unsupported queue type '\(text)'")
                }
                kind = k
            case "x-queue-mode":
                guard let text = value.stringValue, text == "default" || text == "lazy" else {
                    throw Self.invalid(key, value, "expected default or lazy")
                }
                lazy = text == "lazy"
            default:
                // RabbitMQ ignores arguments it does not know.
                break
            }
        }
        if deadLetterRoutingKey != nil && deadLetterExchange == nil {
            throw .precondition("invalid arg 'x-dead-letter-routing-key': Key x-dead-letter-exchange must be set too")
        }
    }

    private static func integer(_ key: String, _ value: FieldValue, minimum: Int64) throws(BrokerError) -> Int64 {
        guard let n = value.int64Value else { throw invalid(key, value, "expected an integer") }
        guard n >= minimum else { throw invalid(key, value, "value must be at least \(minimum)") }
        return n
    }

    private static func invalid(_ key: String, _ value: FieldValue, _ reason: String) -> BrokerError {
        .precondition("invalid arg '\(key)' for queue: \(reason), got \(value)")
    }
}
