import NIOCore
import Testing

@testable import WarrenWire

/// Exact bytes, computed by hand from the AMQP 0-9-1 specification (section 4.2 frame layout,
/// section 4.2.5.2 bit packing) and its class and method ids.
@Suite("Generated methods: exact bytes")
struct MethodEncodingTests {
    @Test func basicQosPrefetchTenNotGlobal() throws {
        let bytes = try encode(.method(channel: 1, .basicQos(BasicQos(prefetchCount: 10, global: false)))).bytes
        #expect(
            bytes == [
                0x01,  // method frame
                0x00, 0x01,  // channel 1
                0x00, 0x00, 0x00, 0x0B,  // payload size 11
                0x00, 0x3C, 0x00, 0x0A,  // basic (60) . qos (10)
                0x00, 0x00, 0x00, 0x00,  // prefetch-size 0
                0x00, 0x0A,  // prefetch-count 10
                0x00,  // global = false
                0xCE,  // frame end
            ])
        #expect(try decodeOne(bytes) == .method(channel: 1, .basicQos(BasicQos(prefetchCount: 10))))
    }

    @Test func basicQosGlobal() throws {
        let qos = BasicQos(prefetchSize: 0x0102_0304, prefetchCount: 0xFFFF, global: true)
        #expect(try encodedPayload(.basicQos(qos)) == [0, 60, 0, 10, 1, 2, 3, 4, 0xFF, 0xFF, 1])
    }

    struct DeclareFlags: Sendable, CustomTestStringConvertible {
        var passive = false, durable = false, autoDelete = false, `internal` = false, noWait = false
        var octet: UInt8
        var testDescription: String { "octet 0x\(String(octet, radix: 16))" }
    }

    @Test(arguments: [
        DeclareFlags(octet: 0x00),
        DeclareFlags(passive: true, octet: 0x01),
        DeclareFlags(durable: true, octet: 0x02),
        DeclareFlags(autoDelete: true, octet: 0x04),
        DeclareFlags(internal: true, octet: 0x08),
        DeclareFlags(noWait: true, octet: 0x10),
        DeclareFlags(durable: true, autoDelete: true, octet: 0x06),
        DeclareFlags(passive: true, internal: true, octet: 0x09),
        DeclareFlags(passive: true, autoDelete: true, noWait: true, octet: 0x15),
        DeclareFlags(passive: true, durable: true, autoDelete: true, internal: true, noWait: true, octet: 0x1F),
    ])
    func exchangeDeclarePacksItsFiveBitsIntoOneOctet(flags: DeclareFlags) throws {
        let declare = ExchangeDeclare(
            exchange: "logs", type: "fanout", passive: flags.passive, durable: flags.durable,
            autoDelete: flags.autoDelete, internal: flags.internal, noWait: flags.noWait)
        let expected: [UInt8] =
            [0x00, 0x28, 0x00, 0x0A]  // exchange (40) . declare (10)
            + [0x00, 0x00]  // reserved-1 (ticket)
            + [0x04] + Array("logs".utf8)  // exchange
            + [0x06] + Array("fanout".utf8)  // type
            + [flags.octet]  // passive, durable, auto-delete, internal, no-wait: bits 0...4
            + [0x00, 0x00, 0x00, 0x00]  // arguments: empty table
        #expect(try encodedPayload(.exchangeDeclare(declare)) == expected)
        let frame = rawFrame(type: 1, channel: 3, payload: expected)
        #expect(try decodeOne(frame) == .method(channel: 3, .exchangeDeclare(declare)))
    }

    @Test(arguments: [(false, UInt8(0)), (true, UInt8(1))])
    func basicAckMultiple(multiple: Bool, octet: UInt8) throws {
        let ack = BasicAck(deliveryTag: 0x0000_0001_0000_0002, multiple: multiple)
        let bytes = try encode(.method(channel: 7, .basicAck(ack))).bytes
        #expect(
            bytes == [0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0D]
                + [0x00, 0x3C, 0x00, 0x50]  // basic (60) . ack (80)
                + [0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02]  // delivery-tag
                + [octet, 0xCE])
    }

    @Test(arguments: [(false, false, UInt8(0)), (true, false, 1), (false, true, 2), (true, true, 3)])
    func basicNackMultipleAndRequeue(multiple: Bool, requeue: Bool, octet: UInt8) throws {
        let nack = BasicNack(deliveryTag: 9, multiple: multiple, requeue: requeue)
        #expect(try encodedPayload(.basicNack(nack)) == [0, 60, 0, 120] + be(UInt64(9)) + [octet])
    }

    @Test func queueDeclareExclusiveAutoDelete() throws {
        let declare = QueueDeclare(queue: "q", exclusive: true, autoDelete: true, arguments: ["x-expires": .int32(1000)])
        let table: [UInt8] = shortString("x-expires") + [UInt8(ascii: "I")] + be(Int32(1000))
        #expect(
            try encodedPayload(.queueDeclare(declare))
                == [0, 50, 0, 10, 0, 0] + shortString("q") + [0b0000_1100] + longBlock(table))
    }

    @Test func basicPublishMandatory() throws {
        let publish = BasicPublish(exchange: "", routingKey: "tasks", mandatory: true)
        #expect(
            try encodedPayload(.basicPublish(publish)) == [0, 60, 0, 40, 0, 0, 0] + shortString("tasks") + [0x01])
    }

    @Test func connectionTuneOk() throws {
        let tune = ConnectionTuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 60)
        #expect(
            try encodedPayload(.connectionTuneOk(tune))
                == [0x00, 0x0A, 0x00, 0x1F, 0x07, 0xFF, 0x00, 0x02, 0x00, 0x00, 0x00, 0x3C])
    }

    @Test func connectionCloseWithNonASCIIText() throws {
        let close = ConnectionClose(replyCode: 200, replyText: "Tschüss", classID: 0, methodID: 0)
        #expect(
            try encodedPayload(.connectionClose(close))
                == [0, 10, 0, 50, 0, 200, 8] + Array("Tschüss".utf8) + [0, 0, 0, 0])
    }

    @Test func connectionStartOkLongStringsAndTable() throws {
        let startOk = ConnectionStartOk(
            clientProperties: ["product": "warren"], mechanism: "PLAIN",
            response: ByteBuffer(bytes: [0, 0x67, 0, 0x70]), locale: "en_US")
        let table = shortString("product") + [UInt8(ascii: "S")] + longBlock(Array("warren".utf8))
        #expect(
            try encodedPayload(.connectionStartOk(startOk))
                == [0, 10, 0, 11] + longBlock(table) + shortString("PLAIN") + longBlock([0, 0x67, 0, 0x70])
                + shortString("en_US"))
    }

    @Test func basicDeliverBitSitsBetweenLongLongAndShortStrings() throws {
        let deliver = BasicDeliver(
            consumerTag: "c", deliveryTag: .max, redelivered: true, exchange: "e", routingKey: "r")
        #expect(
            try encodedPayload(.basicDeliver(deliver))
                == [0, 60, 0, 60] + shortString("c") + Array(repeating: 0xFF, count: 8) + [1] + shortString("e")
                + shortString("r"))
    }

    @Test func argumentlessMethodsAreOnlyTheirIds() throws {
        #expect(try encode(.method(channel: 0, .txSelect(TxSelect()))).bytes == rawFrame(type: 1, channel: 0, payload: [0, 90, 0, 10]))
        #expect(try encodedPayload(.confirmSelectOk(ConfirmSelectOk())) == [0, 85, 0, 11])
        #expect(try encodedPayload(.exchangeUnbindOk(ExchangeUnbindOk())) == [0, 40, 0, 51])
        #expect(try encodedPayload(.connectionUpdateSecretOk(ConnectionUpdateSecretOk())) == [0, 10, 0, 71])
    }

    @Test func generatedDefaultsFollowTheSpec() {
        #expect(ConnectionStart(serverProperties: [:]).versionMajor == 0)
        #expect(ConnectionStart(serverProperties: [:]).versionMinor == 9)
        #expect(ConnectionOpen().virtualHost == "/")
        #expect(ExchangeDeclare(exchange: "x").type == "direct")
        #expect(BasicReject(deliveryTag: 1).requeue)
        #expect(BasicNack().requeue)
        #expect(!BasicNack().multiple)
    }
}
