import NIOCore
import Testing

@testable import WarrenWire

/// The values one sample method is built from: which bits are set, and whether integers and
/// strings take their largest values or small, distinct ones.
struct SampleValues: Sendable, CustomTestStringConvertible {
    /// The bit fields of a method, in spec order.
    var bits: [Bool]
    /// Integers at their maximums, short strings of 255 bytes, a long string past 65,535 bytes.
    var maximal: Bool
    var label: String

    var testDescription: String { label }

    func bit(_ index: Int) -> Bool { index < bits.count ? bits[index] : false }

    func u8(_ distinct: UInt8) -> UInt8 { maximal ? .max : distinct }
    func u16(_ distinct: UInt16) -> UInt16 { maximal ? .max : distinct }
    func u32(_ distinct: UInt32) -> UInt32 { maximal ? .max : distinct }
    func u64(_ distinct: UInt64) -> UInt64 { maximal ? .max : distinct }

    /// A short string that is different for every field (the tag), always with non-ASCII UTF-8.
    func short(_ tag: String) -> String {
        maximal ? utf8String(prefix: tag + "-", byteCount: 255) : "\(tag)-ünïcødé-日本-🐇"
    }

    /// Long-string bytes that are not valid UTF-8 and include 0x00 and 0xFF.
    func long(_ tag: String) -> ByteBuffer {
        var buffer = ByteBuffer(string: tag)
        buffer.writeBytes([0x00, 0xFF, 0xC3, 0x28, 0x7F])
        if maximal { buffer.writeRepeatingByte(0xA5, count: 70_000) }
        return buffer
    }

    /// A non-empty table, nested, different for every field.
    func table(_ tag: String) -> FieldTable {
        [
            "tag": .string(tag),
            "x-max-length": .int64(maximal ? .max : 42),
            "ünï": .table(["nested": .bool(true), "list": [.int32(-1), .string("ß"), .void]]),
            "bytes": .bytes([0, 1, 0xFF]),
        ]
    }

    static let bitPatterns: [(String, [Bool])] =
        [
            ("all bits set", Array(repeating: true, count: 8)),
            ("no bits set", Array(repeating: false, count: 8)),
            ("bits 0,2,4 set", (0..<8).map { $0 % 2 == 0 }),
            ("bits 1,3 set", (0..<8).map { $0 % 2 == 1 }),
        ] + (0..<5).map { bit in ("only bit \(bit) set", (0..<8).map { $0 == bit }) }

    /// Every bit pattern with both kinds of values.
    static let all: [SampleValues] = [true, false].flatMap { maximal in
        bitPatterns.map { name, bits in
            SampleValues(bits: bits, maximal: maximal, label: "\(maximal ? "maximal" : "distinct"), \(name)")
        }
    }

    static let distinctAllSet = SampleValues(bits: Array(repeating: true, count: 8), maximal: false, label: "distinct")
    static let maximalAllSet = SampleValues(bits: Array(repeating: true, count: 8), maximal: true, label: "maximal")

    /// Only bit `index` set: for checking bit positions.
    static func oneHot(_ index: Int) -> SampleValues {
        SampleValues(bits: (0..<8).map { $0 == index }, maximal: false, label: "bit \(index)")
    }

    static let noBits = SampleValues(bits: Array(repeating: false, count: 8), maximal: false, label: "no bits")
}

/// A recipe for one method with every field set from ``SampleValues``.
struct MethodSample: Sendable, CustomTestStringConvertible {
    /// How many bit fields the method has (checked against the struct's Bool fields).
    var bitCount: Int
    var make: @Sendable (SampleValues) -> AMQPMethod

    init(bits bitCount: Int = 0, _ make: @escaping @Sendable (SampleValues) -> AMQPMethod) {
        self.bitCount = bitCount
        self.make = make
    }

    var name: String { make(.distinctAllSet).name }
    var testDescription: String { name }
}

/// One sample per AMQP method. `MethodRoundTripTests` checks this list against
/// `AMQPMethod.name(classID:methodID:)`, so a method missing here fails the tests.
enum MethodSamples {
    static let all: [MethodSample] = connection + channel + access + exchange + queue + basic + tx + confirm

    static let connection: [MethodSample] = [
        MethodSample { v in
            .connectionStart(
                ConnectionStart(
                    versionMajor: v.u8(1), versionMinor: v.u8(7), serverProperties: v.table("server"),
                    mechanisms: v.long("PLAIN AMQPLAIN"), locales: v.long("de_DE")))
        },
        MethodSample { v in
            .connectionStartOk(
                ConnectionStartOk(
                    clientProperties: v.table("client"), mechanism: v.short("EXTERNAL"),
                    response: v.long("\0guest\0guest"), locale: v.short("de_DE")))
        },
        MethodSample { v in .connectionSecure(ConnectionSecure(challenge: v.long("challenge"))) },
        MethodSample { v in .connectionSecureOk(ConnectionSecureOk(response: v.long("response"))) },
        MethodSample { v in
            .connectionTune(ConnectionTune(channelMax: v.u16(2047), frameMax: v.u32(131_072), heartbeat: v.u16(60)))
        },
        MethodSample { v in
            .connectionTuneOk(ConnectionTuneOk(channelMax: v.u16(1000), frameMax: v.u32(65_536), heartbeat: v.u16(30)))
        },
        MethodSample(bits: 1) { v in
            .connectionOpen(
                ConnectionOpen(virtualHost: v.short("vhost"), capabilities: v.short("caps"), insist: v.bit(0)))
        },
        MethodSample { v in .connectionOpenOk(ConnectionOpenOk(knownHosts: v.short("known-hosts"))) },
        MethodSample { v in
            .connectionClose(
                ConnectionClose(
                    replyCode: v.u16(320), replyText: v.short("CONNECTION_FORCED"), classID: v.u16(60),
                    methodID: v.u16(40)))
        },
        MethodSample { _ in .connectionCloseOk(ConnectionCloseOk()) },
        MethodSample { v in .connectionBlocked(ConnectionBlocked(reason: v.short("low on memory"))) },
        MethodSample { _ in .connectionUnblocked(ConnectionUnblocked()) },
        MethodSample { v in
            .connectionUpdateSecret(ConnectionUpdateSecret(newSecret: v.long("jwt"), reason: v.short("refresh")))
        },
        MethodSample { _ in .connectionUpdateSecretOk(ConnectionUpdateSecretOk()) },
    ]

    static let channel: [MethodSample] = [
        MethodSample { v in .channelOpen(ChannelOpen(outOfBand: v.short("out-of-band"))) },
        MethodSample { v in .channelOpenOk(ChannelOpenOk(channelID: v.long("channel-id"))) },
        MethodSample(bits: 1) { v in .channelFlow(ChannelFlow(active: v.bit(0))) },
        MethodSample(bits: 1) { v in .channelFlowOk(ChannelFlowOk(active: v.bit(0))) },
        MethodSample { v in
            .channelClose(
                ChannelClose(
                    replyCode: v.u16(406), replyText: v.short("PRECONDITION_FAILED"), classID: v.u16(50),
                    methodID: v.u16(10)))
        },
        MethodSample { _ in .channelCloseOk(ChannelCloseOk()) },
    ]

    static let access: [MethodSample] = [
        MethodSample(bits: 5) { v in
            .accessRequest(
                AccessRequest(
                    realm: v.short("realm"), exclusive: v.bit(0), passive: v.bit(1), active: v.bit(2),
                    write: v.bit(3), read: v.bit(4)))
        },
        MethodSample { v in .accessRequestOk(AccessRequestOk(ticket: v.u16(7))) },
    ]

    static let exchange: [MethodSample] = [
        MethodSample(bits: 5) { v in
            .exchangeDeclare(
                ExchangeDeclare(
                    ticket: v.u16(3), exchange: v.short("exchange"), type: v.short("x-consistent-hash"),
                    passive: v.bit(0), durable: v.bit(1), autoDelete: v.bit(2), internal: v.bit(3),
                    noWait: v.bit(4), arguments: v.table("alternate-exchange")))
        },
        MethodSample { _ in .exchangeDeclareOk(ExchangeDeclareOk()) },
        MethodSample(bits: 2) { v in
            .exchangeDelete(
                ExchangeDelete(ticket: v.u16(4), exchange: v.short("exchange"), ifUnused: v.bit(0), noWait: v.bit(1)))
        },
        MethodSample { _ in .exchangeDeleteOk(ExchangeDeleteOk()) },
        MethodSample(bits: 1) { v in
            .exchangeBind(
                ExchangeBind(
                    ticket: v.u16(5), destination: v.short("destination"), source: v.short("source"),
                    routingKey: v.short("routing-key"), noWait: v.bit(0), arguments: v.table("bind")))
        },
        MethodSample { _ in .exchangeBindOk(ExchangeBindOk()) },
        MethodSample(bits: 1) { v in
            .exchangeUnbind(
                ExchangeUnbind(
                    ticket: v.u16(6), destination: v.short("destination"), source: v.short("source"),
                    routingKey: v.short("routing-key"), noWait: v.bit(0), arguments: v.table("unbind")))
        },
        MethodSample { _ in .exchangeUnbindOk(ExchangeUnbindOk()) },
    ]

    static let queue: [MethodSample] = [
        MethodSample(bits: 5) { v in
            .queueDeclare(
                QueueDeclare(
                    ticket: v.u16(8), queue: v.short("queue"), passive: v.bit(0), durable: v.bit(1),
                    exclusive: v.bit(2), autoDelete: v.bit(3), noWait: v.bit(4), arguments: v.table("x-queue-type")))
        },
        MethodSample { v in
            .queueDeclareOk(
                QueueDeclareOk(queue: v.short("queue"), messageCount: v.u32(123_456), consumerCount: v.u32(3)))
        },
        MethodSample(bits: 1) { v in
            .queueBind(
                QueueBind(
                    ticket: v.u16(9), queue: v.short("queue"), exchange: v.short("exchange"),
                    routingKey: v.short("routing-key"), noWait: v.bit(0), arguments: v.table("x-match")))
        },
        MethodSample { _ in .queueBindOk(QueueBindOk()) },
        MethodSample(bits: 1) { v in
            .queuePurge(QueuePurge(ticket: v.u16(10), queue: v.short("queue"), noWait: v.bit(0)))
        },
        MethodSample { v in .queuePurgeOk(QueuePurgeOk(messageCount: v.u32(99))) },
        MethodSample(bits: 3) { v in
            .queueDelete(
                QueueDelete(
                    ticket: v.u16(11), queue: v.short("queue"), ifUnused: v.bit(0), ifEmpty: v.bit(1), noWait: v.bit(2)))
        },
        MethodSample { v in .queueDeleteOk(QueueDeleteOk(messageCount: v.u32(17))) },
        MethodSample { v in
            .queueUnbind(
                QueueUnbind(
                    ticket: v.u16(12), queue: v.short("queue"), exchange: v.short("exchange"),
                    routingKey: v.short("routing-key"), arguments: v.table("unbind")))
        },
        MethodSample { _ in .queueUnbindOk(QueueUnbindOk()) },
    ]

    static let basic: [MethodSample] = [
        MethodSample(bits: 1) { v in
            .basicQos(BasicQos(prefetchSize: v.u32(65_536), prefetchCount: v.u16(10), global: v.bit(0)))
        },
        MethodSample { _ in .basicQosOk(BasicQosOk()) },
        MethodSample(bits: 4) { v in
            .basicConsume(
                BasicConsume(
                    ticket: v.u16(13), queue: v.short("queue"), consumerTag: v.short("consumer-tag"),
                    noLocal: v.bit(0), noAck: v.bit(1), exclusive: v.bit(2), noWait: v.bit(3),
                    arguments: v.table("x-priority")))
        },
        MethodSample { v in .basicConsumeOk(BasicConsumeOk(consumerTag: v.short("consumer-tag"))) },
        MethodSample(bits: 1) { v in .basicCancel(BasicCancel(consumerTag: v.short("consumer-tag"), noWait: v.bit(0))) },
        MethodSample { v in .basicCancelOk(BasicCancelOk(consumerTag: v.short("consumer-tag"))) },
        MethodSample(bits: 2) { v in
            .basicPublish(
                BasicPublish(
                    ticket: v.u16(14), exchange: v.short("exchange"), routingKey: v.short("routing-key"),
                    mandatory: v.bit(0), immediate: v.bit(1)))
        },
        MethodSample { v in
            .basicReturn(
                BasicReturn(
                    replyCode: v.u16(312), replyText: v.short("NO_ROUTE"), exchange: v.short("exchange"),
                    routingKey: v.short("routing-key")))
        },
        MethodSample(bits: 1) { v in
            .basicDeliver(
                BasicDeliver(
                    consumerTag: v.short("consumer-tag"), deliveryTag: v.u64(0x0102_0304_0506_0708),
                    redelivered: v.bit(0), exchange: v.short("exchange"), routingKey: v.short("routing-key")))
        },
        MethodSample(bits: 1) { v in .basicGet(BasicGet(ticket: v.u16(15), queue: v.short("queue"), noAck: v.bit(0))) },
        MethodSample(bits: 1) { v in
            .basicGetOk(
                BasicGetOk(
                    deliveryTag: v.u64(0x1122_3344_5566_7788), redelivered: v.bit(0), exchange: v.short("exchange"),
                    routingKey: v.short("routing-key"), messageCount: v.u32(41)))
        },
        MethodSample { v in .basicGetEmpty(BasicGetEmpty(clusterID: v.short("cluster"))) },
        MethodSample(bits: 1) { v in .basicAck(BasicAck(deliveryTag: v.u64(1 << 40 | 3), multiple: v.bit(0))) },
        MethodSample(bits: 1) { v in .basicReject(BasicReject(deliveryTag: v.u64(77), requeue: v.bit(0))) },
        MethodSample(bits: 1) { v in .basicRecoverAsync(BasicRecoverAsync(requeue: v.bit(0))) },
        MethodSample(bits: 1) { v in .basicRecover(BasicRecover(requeue: v.bit(0))) },
        MethodSample { _ in .basicRecoverOk(BasicRecoverOk()) },
        MethodSample(bits: 2) { v in
            .basicNack(BasicNack(deliveryTag: v.u64(0xFFFF_0000_FFFF), multiple: v.bit(0), requeue: v.bit(1)))
        },
    ]

    static let tx: [MethodSample] = [
        MethodSample { _ in .txSelect(TxSelect()) },
        MethodSample { _ in .txSelectOk(TxSelectOk()) },
        MethodSample { _ in .txCommit(TxCommit()) },
        MethodSample { _ in .txCommitOk(TxCommitOk()) },
        MethodSample { _ in .txRollback(TxRollback()) },
        MethodSample { _ in .txRollbackOk(TxRollbackOk()) },
    ]

    static let confirm: [MethodSample] = [
        MethodSample(bits: 1) { v in .confirmSelect(ConfirmSelect(noWait: v.bit(0))) },
        MethodSample { _ in .confirmSelectOk(ConfirmSelectOk()) },
    ]
}

extension AMQPMethod {
    /// The generated arguments struct inside the enum case.
    var arguments: any AMQPMethodArguments {
        Mirror(reflecting: self).children.first!.value as! any AMQPMethodArguments
    }
}
