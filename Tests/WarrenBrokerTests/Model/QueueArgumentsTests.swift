import Testing
@testable import WarrenBroker
import WarrenWire

/// Queue declare arguments, validated as rabbit_amqqueue:check_arguments does: 406
/// PRECONDITION_FAILED with "invalid arg 'KEY' for queue 'NAME' in vhost 'VHOST': REASON".
@Suite struct QueueArgumentsTests {
    static func parse(_ table: FieldTable) throws(BrokerError) -> QueueArguments {
        try QueueArguments(table, queue: "q", vhost: "/")
    }

    /// The error for `table`, or nil if it was accepted.
    static func refusal(_ table: FieldTable) -> BrokerError? {
        do {
            _ = try parse(table)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let settings = try Self.parse([:])
        #expect(settings.messageTTL == nil && settings.expires == nil)
        #expect(settings.maxLength == nil && settings.maxLengthBytes == nil)
        #expect(settings.overflow == .dropHead)
        #expect(settings.deadLetterExchange == nil && settings.deadLetterRoutingKey == nil)
        #expect(settings.maxPriority == nil)
        #expect(!settings.singleActiveConsumer && !settings.lazy)
        #expect(settings.kind == .classic)
    }

    @Test func everyClassicArgumentParsed() throws {
        let settings = try Self.parse([
            "x-message-ttl": .int32(1_000), "x-expires": .int64(60_000), "x-max-length": .uint16(10),
            "x-max-length-bytes": .uint32(4_096), "x-overflow": "reject-publish-dlx", "x-dead-letter-exchange": "dlx",
            "x-dead-letter-routing-key": "dead", "x-max-priority": .uint8(10), "x-single-active-consumer": true,
            "x-queue-type": "classic", "x-queue-mode": "lazy", "x-queue-version": 2,
        ])
        #expect(settings.messageTTL == 1_000)
        #expect(settings.expires == 60_000)
        #expect(settings.maxLength == 10)
        #expect(settings.maxLengthBytes == 4_096)
        #expect(settings.overflow == .rejectPublishDLX)
        #expect(settings.deadLetterExchange == "dlx")
        #expect(settings.deadLetterRoutingKey == "dead")
        #expect(settings.maxPriority == 10)
        #expect(settings.singleActiveConsumer)
        #expect(settings.kind == .classic)
        #expect(settings.lazy)
    }

    @Test func everyQuorumArgumentParsed() throws {
        let settings = try Self.parse([
            "x-queue-type": "quorum", "x-delivery-limit": .int8(3), "x-message-ttl": 5, "x-max-length": 7,
            "x-overflow": "reject-publish", "x-dead-letter-exchange": "dlx", "x-single-active-consumer": false,
            "x-quorum-initial-group-size": 3, "x-dead-letter-strategy": "at-most-once",
        ])
        #expect(settings.kind == .quorum)
        #expect(settings.deliveryLimit == 3)
        #expect(settings.messageTTL == 5 && settings.maxLength == 7)
        #expect(settings.overflow == .rejectPublish && settings.deadLetterExchange == "dlx")
    }

    /// RabbitMQ 3.10 does not check x-delivery-limit's type: anything but an integer sets no limit.
    @Test func deliveryLimitOfAnyType() throws {
        #expect(try Self.parse(["x-queue-type": "quorum", "x-delivery-limit": "5"]).deliveryLimit == nil)
        #expect(try Self.parse(["x-queue-type": "quorum", "x-delivery-limit": -1]).deliveryLimit == -1)
    }

    /// An argument another queue type knows is refused in the order the client sent them, after
    /// the type's own arguments were checked, and those of the wrong type are never looked at.
    @Test func argumentsOfAnotherQueueType() {
        func text(_ table: FieldTable) -> String? { Self.refusal(table)?.replyText }
        #expect(text(["x-delivery-limit": 5])
            == "PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type "
            + "rabbit_classic_queue")
        #expect(text(["x-queue-type": "quorum", "x-max-priority": "not even a number"])
            == "PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type "
            + "rabbit_quorum_queue")
        #expect(text(["x-max-age": "1D", "x-delivery-limit": 1])?.contains("'x-max-age'") == true)
        #expect(text(["x-delivery-limit": 1, "x-max-age": "1D"])?.contains("'x-delivery-limit'") == true)
        #expect(text(["x-delivery-limit": 1, "x-max-length": "a"])
            == "PRECONDITION_FAILED - invalid arg 'x-max-length' for queue 'q' in vhost '/': \"expected integer, got longstr\"")
    }

    /// Quorum and stream queues must be durable, shared and kept: auto-delete is reported first,
    /// then exclusive, then non-durable. Streams are then refused as a type this broker lacks.
    @Test func quorumAndStreamProperties() throws {
        func refusal(_ type: String, durable: Bool, exclusive: Bool, autoDelete: Bool) -> String? {
            do {
                try Self.parse(["x-queue-type": .string(type)]).checkProperties(
                    durable: durable, exclusive: exclusive, autoDelete: autoDelete, queue: "q", vhost: "/")
                return nil
            } catch {
                return error.replyText
            }
        }
        let prefix = "PRECONDITION_FAILED - invalid property "
        #expect(refusal("quorum", durable: false, exclusive: true, autoDelete: true) == prefix + "'auto-delete' for queue 'q' in vhost '/'")
        #expect(refusal("quorum", durable: false, exclusive: true, autoDelete: false) == prefix + "'exclusive-owner' for queue 'q' in vhost '/'")
        #expect(refusal("quorum", durable: false, exclusive: false, autoDelete: false) == prefix + "'non-durable' for queue 'q' in vhost '/'")
        #expect(refusal("quorum", durable: true, exclusive: false, autoDelete: false) == nil)
        #expect(refusal("classic", durable: false, exclusive: true, autoDelete: true) == nil)
        #expect(refusal("stream", durable: false, exclusive: false, autoDelete: false) == prefix + "'non-durable' for queue 'q' in vhost '/'")
        #expect(refusal("stream", durable: true, exclusive: false, autoDelete: false)
            == "PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue 'q' in vhost '/': \"unsupported queue type 'stream'\"")
    }

    @Test(arguments: [FieldValue.int8(5), .uint8(5), .int16(5), .uint16(5), .int32(5), .uint32(5), .int64(5)])
    func integersOfEveryWidth(_ value: FieldValue) throws {
        #expect(try Self.parse(["x-max-length": value]).maxLength == 5)
        #expect(try Self.parse(["x-message-ttl": value]).messageTTL == 5)
    }

    @Test func zeroIsAllowedWhereRabbitMQAllowsIt() throws {
        #expect(try Self.parse(["x-message-ttl": 0]).messageTTL == 0)
        #expect(try Self.parse(["x-max-length": 0]).maxLength == 0)
        #expect(try Self.parse(["x-max-priority": 0]).maxPriority == 0)
        #expect(try Self.parse(["x-max-priority": 255]).maxPriority == 255)
    }

    @Test func unknownArgumentsAreIgnored() throws {
        let settings = try Self.parse(["x-custom": "anything", "plain": 1, "x-max-length": 2])
        #expect(settings.maxLength == 2)
    }

    /// Arguments RabbitMQ refuses, and the reason it gives where it does not depend on the version.
    @Test(arguments: [
        ("x-message-ttl", FieldValue.int32(-1), "{value_negative,-1}"),
        ("x-message-ttl", "1000", nil),
        ("x-message-ttl", .double(1.5), nil),
        ("x-expires", 0, "{value_zero,0}"),
        ("x-expires", -5, "{value_negative,-5}"),
        ("x-expires", true, nil),
        ("x-max-length", -1, "{value_negative,-1}"),
        ("x-max-length", "ten", nil),
        ("x-max-length-bytes", -1, "{value_negative,-1}"),
        ("x-max-priority", -1, "{value_negative,-1}"),
        ("x-max-priority", 256, "{max_value_exceeded,256}"),
        ("x-overflow", "drop-tail", "invalid_overflow"),
        ("x-overflow", 1, nil),
        ("x-dead-letter-exchange", 1, nil),
        ("x-queue-mode", "eager", "\"unsupported queue mode 'eager'\""),
        ("x-queue-type", "fifo", "\"unsupported queue type 'fifo'\""),
        ("x-queue-type", .int32(1), "{unacceptable_type,signedint}"),
        ("x-queue-version", 3, "\"unsupported queue version '3'\""),
        ("x-single-active-consumer", "yes", "{unacceptable_type,longstr}"),
    ] as [(String, FieldValue, String?)])
    func refused(_ key: String, _ value: FieldValue, _ reason: String?) throws {
        let error = try #require(Self.refusal([key: value]), "\(key) = \(value) was accepted")
        #expect(error.code == .preconditionFailed)
        #expect(!error.closesConnection)
        let prefix = "PRECONDITION_FAILED - invalid arg '\(key)' for queue 'q' in vhost '/': "
        #expect(error.replyText.hasPrefix(prefix), "\(error.replyText)")
        if let reason { #expect(error.replyText == prefix + reason) }
    }

    @Test func deadLetterRoutingKeyNeedsAnExchange() {
        let error = Self.refusal(["x-dead-letter-routing-key": "rk"])
        #expect(error?.replyText
            == "PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': "
            + "routing_key_but_no_dlx_defined")
        // Either order in the table.
        #expect(Self.refusal(["x-dead-letter-routing-key": "rk", "x-dead-letter-exchange": "dlx"]) == nil)
    }

    /// TTLs go into Erlang timers, so RabbitMQ refuses anything above 2^32 - 1 ms
    /// (rabbit_misc:check_expiry).
    @Test(arguments: ["x-message-ttl", "x-expires"])
    func expiryAboveTheTimerLimit(_ key: String) throws {
        #expect(Self.refusal([key: .int64(4_294_967_295)]) == nil)
        let error = try #require(Self.refusal([key: .int64(4_294_967_296)]), "\(key) 2^32 was accepted")
        #expect(error.replyText
            == "PRECONDITION_FAILED - invalid arg '\(key)' for queue 'q' in vhost '/': {value_too_big,4294967296}")
    }

    /// RabbitMQ checks the arguments in a fixed order (x-expires, x-message-ttl, x-dead-letter-*,
    /// x-max-length, ...), not in table order, so the first refusal named is x-expires here.
    @Test func firstRefusalFollowsRabbitMQsCheckOrder() throws {
        let error = try #require(Self.refusal(["x-max-length": -1, "x-expires": 0]))
        #expect(error.replyText.contains("'x-expires'"), "\(error.replyText)")
    }
}
