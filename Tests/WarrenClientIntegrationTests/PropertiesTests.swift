import NIOCore
import Testing
import WarrenClient

/// Message properties and header tables, through RabbitMQ 3.10.8 and back.
///
/// What the broker does to headers (found against 3.10.8, see `everyFieldTypeSurvivesDeadLettering`):
/// - Publish → get/deliver: the encoded properties are passed through untouched, byte for byte:
///   every type code (including `b B s u i x V D`, which some brokers and clients do not know),
///   non-UTF-8 `S` values, negative decimals, and key order.
/// - When RabbitMQ has to change the headers (dead-lettering adds `x-death`), it decodes and
///   re-encodes them: every value keeps its type code and value, nested tables and arrays keep
///   their order, but the TOP-LEVEL keys come back sorted (by bytes), with the `x-*` headers it
///   added sorted in among them.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct PropertiesTests {
    /// One of every field value type, with keys deliberately out of order.
    static let everyType = FieldTable([
        ("z-bool", .bool(true)),
        ("bool-false", .bool(false)),
        ("int8", .int8(-8)),
        ("uint8", .uint8(200)),
        ("int16", .int16(-1600)),
        ("uint16", .uint16(60000)),
        ("int32", .int32(-320_000)),
        ("uint32", .uint32(4_000_000_000)),
        ("int64", .int64(-6_400_000_000)),
        ("float", .float(1.5)),
        ("double", .double(-2.25e100)),
        ("decimal", .decimal(scale: 2, value: 12345)),
        ("decimal-negative", .decimal(scale: 3, value: -1)),
        ("string", .string("héllo ✓")),
        ("binary-string", .binaryString([0xFF, 0xFE, 0x00])),
        ("array", .array([
            .int32(1), .string("two"), .array([.bool(false), .void]), .table(["k": .int64(7)]),
            .uint8(9), .int16(-2), .uint16(3), .uint32(4), .int8(-1), .float(0.5),
            .decimal(scale: 1, value: 5), .timestamp(5), .bytes([1]), .double(0.25),
        ])),
        ("timestamp", .timestamp(1_700_000_000)),
        ("table", .table([
            "inner": "v", "n": .int32(-5), "deeper": .table(["y": .bytes([9]), "x": .uint16(1)]),
        ])),
        ("void", .void),
        ("bytes", .bytes([0, 1, 2, 255])),
        ("a-last", .string("order")),
    ])

    @Test func allFourteenPropertiesRoundTrip() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let properties = BasicProperties(
                contentType: "application/json", contentEncoding: "gzip", headers: ["h": "v", "n": .int32(1)],
                deliveryMode: 2, priority: 7, correlationID: "corr-1", replyTo: "reply.queue",
                expiration: "600000", messageID: "msg-1", timestamp: 1_700_000_123, type: "order.created",
                userID: "guest",  // RabbitMQ checks user-id against the login, so it must be "guest"
                appID: "warren-tests", clusterID: "cluster-x")
            try await channel.publish(ByteBuffer(string: "{}"), routingKey: queue, properties: properties)
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.properties == properties)

            // And with a consumer.
            try await channel.publish(ByteBuffer(string: "{}"), routingKey: queue, properties: properties)
            let consumer = try await channel.consume(queue, noAck: true)
            let delivered = try await Recorder<AMQPDelivery>.recording(consumer).waitFor(count: 1)
            #expect(delivered[0].properties == properties)
        }
    }

    @Test func noPropertiesStayAbsent() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "bare"), routingKey: queue)
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.properties == BasicProperties())
        }
    }

    @Test func userIDOtherThanTheLoginIsRefused() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.publish(ByteBuffer(string: "x"), routingKey: queue,
                                      properties: BasicProperties(userID: "someone-else"))
            let reason = try await expectChannelClose { _ = try await channel.get(queue) }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText == "PRECONDITION_FAILED - user_id property set to 'someone-else' "
                + "but authenticated user was 'guest'")
        }
    }

    @Test func everyFieldTypeRoundTripsUnchanged() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let properties = BasicProperties(headers: Self.everyType)
            try await channel.publish(ByteBuffer(string: "types"), routingKey: queue, properties: properties)
            let got = try #require(try await channel.get(queue, noAck: true))
            let headers = try #require(got.message.properties.headers)
            #expect(headers == Self.everyType)
            #expect(headers.keys == Self.everyType.keys)
            // Byte for byte: the broker did not re-encode anything.
            #expect(try headers.encodedEntries() == Self.everyType.encodedEntries())
            for (key, value) in Self.everyType.entries {
                #expect(headers[key]?.typeCode == value.typeCode, "type of \(key)")
            }

            try await channel.publish(ByteBuffer(string: "types"), routingKey: queue, properties: properties)
            let consumer = try await channel.consume(queue, noAck: true)
            let delivered = try await Recorder<AMQPDelivery>.recording(consumer).waitFor(count: 1)
            #expect(try delivered[0].properties.headers?.encodedEntries() == Self.everyType.encodedEntries())
        }
    }

    @Test func everyFieldTypeSurvivesDeadLettering() async throws {
        try await LiveBroker.withChannel { _, channel in
            let deadLetterExchange = LiveBroker.uniqueName("types-dlx")
            try await channel.exchangeDeclare(deadLetterExchange, type: "fanout", autoDelete: true)
            let deadLetters = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.queueBind(deadLetters, exchange: deadLetterExchange)
            let queue = try await channel.queueDeclare(
                "", exclusive: true, arguments: ["x-dead-letter-exchange": .string(deadLetterExchange)]).queue
            try await channel.publish(ByteBuffer(string: "types"), routingKey: queue,
                                      properties: BasicProperties(headers: Self.everyType))
            let got = try #require(try await channel.get(queue))
            try await channel.nack(deliveryTag: got.message.deliveryTag, requeue: false)
            var dead: AMQPGetResult?
            for _ in 0..<250 where dead == nil {
                dead = try await channel.get(deadLetters, noAck: true)
                if dead == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let deadLetter = try #require(dead)
            let headers = try #require(deadLetter.message.properties.headers)

            // Every value we sent is there with its type and value unchanged (nested order too) ...
            for (key, value) in Self.everyType.entries {
                #expect(headers[key] == value, "\(key)")
                #expect(headers[key]?.typeCode == value.typeCode, "type of \(key)")
            }
            // ... but the top-level keys were re-sorted, RabbitMQ's own headers among them.
            let added = ["x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"]
            let expectedKeys = (Self.everyType.keys + added).sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
            #expect(headers.keys == expectedKeys)
            #expect(headers.keys.first == "a-last")
            #expect(headers.keys.last == "z-bool")
            #expect(headers["table"]?.tableValue?.keys == ["inner", "n", "deeper"])
            try await channel.exchangeDelete(deadLetterExchange)
        }
    }

    @Test func duplicateHeaderKeysPassThroughUnchanged() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let headers = FieldTable([("dup", .int32(1)), ("dup", .string("two"))])
            try await channel.publish(ByteBuffer(string: "d"), routingKey: queue,
                                      properties: BasicProperties(headers: headers))
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.properties.headers?.entries.map(\.0) == ["dup", "dup"])
            #expect(got.message.properties.headers == headers)
        }
    }
}
