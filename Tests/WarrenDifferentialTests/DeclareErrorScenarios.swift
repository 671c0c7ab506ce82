import NIOCore
import Testing
import WarrenClient

/// Refused declarations, bindings and deletions: reply code, reply text, the method the close
/// names, and whether the channel or the connection went down. Each attempt has its own channel.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct DeclareErrorScenarios {
    typealias Attempt = (String, @Sendable (AMQPChannel, String) async throws -> Void)

    /// Runs each attempt on a fresh channel (a fresh connection when the last one was closed).
    static func runAll(_ attempts: [Attempt], url: String, s: String, t: inout Transcript) async throws {
        var connection = try await AMQPConnection.connect(to: url)
        for (label, attempt) in attempts {
            if !connection.isOpen {
                t.record("(the connection was closed; a new one is opened)")
                connection = try await AMQPConnection.connect(to: url)
            }
            try await Scenario.refused(label, on: connection, into: &t) { ch in try await attempt(ch, s) }
        }
        try? await connection.close()
    }

    static let queueAttempts: [Attempt] = [
        ("passive missing queue", { ch, s in try await ch.queueDeclare("diff-de-missing\(s)", passive: true) }),
        ("durable differs", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", durable: true, arguments: Self.baseArgs) }),
        ("auto-delete differs", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", autoDelete: true, arguments: Self.baseArgs) }),
        ("exclusive differs", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", exclusive: true, arguments: Self.baseArgs) }),
        ("ttl differs", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: ["x-message-ttl": .int32(2000), "x-max-length": .int32(5)]) }),
        ("ttl as int64, same value", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: ["x-message-ttl": .int64(1000), "x-max-length": .int8(5)]) }),
        ("ttl as string", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: ["x-message-ttl": "1000", "x-max-length": .int32(5)]) }),
        ("ttl left out", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: ["x-max-length": .int32(5)]) }),
        ("extra known argument", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: Self.baseArgs.adding("x-max-priority", .int32(5))) }),
        ("extra unknown argument", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: Self.baseArgs.adding("x-whatever", "y")) }),
        ("passive with other arguments", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", passive: true, durable: true, arguments: ["x-message-ttl": "no"]) }),
        ("reserved queue name", { ch, s in try await ch.queueDeclare("amq.diff\(s)") }),
        ("passive reserved queue name", { ch, s in try await ch.queueDeclare("amq.diff\(s)", passive: true) }),
        ("queue type bogus", { ch, s in try await ch.queueDeclare("diff-de-bad1\(s)", arguments: ["x-queue-type": "bogus"]) }),
        ("queue type not a string", { ch, s in try await ch.queueDeclare("diff-de-bad2\(s)", arguments: ["x-queue-type": .int32(1)]) }),
        ("max-length as string", { ch, s in try await ch.queueDeclare("diff-de-bad3\(s)", arguments: ["x-max-length": "10"]) }),
        ("max-length negative", { ch, s in try await ch.queueDeclare("diff-de-bad4\(s)", arguments: ["x-max-length": .int32(-1)]) }),
        ("max-length-bytes negative", { ch, s in
            try await ch.queueDeclare("diff-de-bad5\(s)", arguments: ["x-max-length-bytes": .int64(-5)]) }),
        ("ttl negative", { ch, s in try await ch.queueDeclare("diff-de-bad6\(s)", arguments: ["x-message-ttl": .int32(-1)]) }),
        ("ttl as double", { ch, s in try await ch.queueDeclare("diff-de-bad7\(s)", arguments: ["x-message-ttl": .double(1.5)]) }),
        ("expires zero", { ch, s in try await ch.queueDeclare("diff-de-bad8\(s)", arguments: ["x-expires": .int32(0)]) }),
        ("expires negative", { ch, s in try await ch.queueDeclare("diff-de-bad9\(s)", arguments: ["x-expires": .int32(-3)]) }),
        ("max-priority 256", { ch, s in try await ch.queueDeclare("diff-de-bad10\(s)", arguments: ["x-max-priority": .int32(256)]) }),
        ("max-priority as string", { ch, s in try await ch.queueDeclare("diff-de-bad11\(s)", arguments: ["x-max-priority": "5"]) }),
        ("overflow bogus", { ch, s in try await ch.queueDeclare("diff-de-bad12\(s)", arguments: ["x-overflow": "sideways"]) }),
        ("overflow not a string", { ch, s in try await ch.queueDeclare("diff-de-bad13\(s)", arguments: ["x-overflow": .int32(1)]) }),
        ("dlx not a string", { ch, s in try await ch.queueDeclare("diff-de-bad14\(s)", arguments: ["x-dead-letter-exchange": .int32(1)]) }),
        ("dlrk without dlx", { ch, s in try await ch.queueDeclare("diff-de-bad15\(s)", arguments: ["x-dead-letter-routing-key": "k"]) }),
        ("single-active-consumer as string", { ch, s in
            try await ch.queueDeclare("diff-de-bad16\(s)", arguments: ["x-single-active-consumer": "true"]) }),
        ("queue mode bogus", { ch, s in try await ch.queueDeclare("diff-de-bad17\(s)", arguments: ["x-queue-mode": "eager"]) }),
        ("quorum not durable", { ch, s in try await ch.queueDeclare("diff-de-bad18\(s)", arguments: ["x-queue-type": "quorum"]) }),
        ("quorum exclusive", { ch, s in
            try await ch.queueDeclare("diff-de-bad19\(s)", durable: true, exclusive: true, arguments: ["x-queue-type": "quorum"]) }),
        ("quorum auto-delete", { ch, s in
            try await ch.queueDeclare("diff-de-bad20\(s)", durable: true, autoDelete: true, arguments: ["x-queue-type": "quorum"]) }),
        ("quorum delivery-limit as string", { ch, s in
            try await ch.queueDeclare("diff-de-bad21\(s)", durable: true, arguments: ["x-queue-type": "quorum", "x-delivery-limit": "2"]) }),
        ("stream not durable", { ch, s in try await ch.queueDeclare("diff-de-bad22\(s)", arguments: ["x-queue-type": "stream"]) }),
        ("redeclare classic as quorum", { ch, s in
            try await ch.queueDeclare("diff-de-q\(s)", arguments: Self.baseArgs.adding("x-queue-type", "quorum")) }),
    ]

    static let baseArgs: FieldTable = ["x-message-ttl": .int32(1000), "x-max-length": .int32(5)]

    @Test func queueDeclareRefusals() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-de-q"] + (1...50).map { "diff-de-bad\($0)" }) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                try await ch.queueDeclare("diff-de-q\(s)", arguments: Self.baseArgs)
                try await Self.runAll(Self.queueAttempts, url: url, s: s, t: &t)
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    static let exchangeAttempts: [Attempt] = [
        ("passive missing exchange", { ch, s in try await ch.exchangeDeclare("diff-de-missing\(s)", passive: true) }),
        ("type differs", { ch, s in try await ch.exchangeDeclare("diff-de-x\(s)", type: "fanout") }),
        ("durable differs", { ch, s in try await ch.exchangeDeclare("diff-de-x\(s)", type: "direct", durable: true) }),
        ("auto-delete differs", { ch, s in try await ch.exchangeDeclare("diff-de-x\(s)", type: "direct", autoDelete: true) }),
        ("internal differs", { ch, s in try await ch.exchangeDeclare("diff-de-x\(s)", type: "direct", internal: true) }),
        ("arguments differ", { ch, s in
            try await ch.exchangeDeclare("diff-de-x\(s)", type: "direct", arguments: ["alternate-exchange": "other"]) }),
        ("passive with other type", { ch, s in try await ch.exchangeDeclare("diff-de-x\(s)", type: "topic", passive: true) }),
        ("reserved exchange name", { ch, s in try await ch.exchangeDeclare("amq.diff\(s)", type: "direct") }),
        ("amq.direct redeclared as is", { ch, _ in try await ch.exchangeDeclare("amq.direct", type: "direct", durable: true) }),
        ("amq.direct as fanout", { ch, _ in try await ch.exchangeDeclare("amq.direct", type: "fanout", durable: true) }),
        ("default exchange declare", { ch, _ in try await ch.exchangeDeclare("", type: "direct") }),
        ("default exchange passive", { ch, _ in try await ch.exchangeDeclare("", type: "direct", passive: true) }),
        ("default exchange delete", { ch, _ in try await ch.exchangeDelete("") }),
        ("amq.fanout delete", { ch, _ in try await ch.exchangeDelete("amq.fanout") }),
        ("delete missing exchange", { ch, s in try await ch.exchangeDelete("diff-de-missing\(s)") }),
        ("delete if-unused with binding", { ch, s in try await ch.exchangeDelete("diff-de-x\(s)", ifUnused: true) }),
        ("bind to default exchange", { ch, s in try await ch.queueBind("diff-de-q\(s)", exchange: "", routingKey: "x") }),
        ("unbind from default exchange", { ch, s in
            try await ch.queueUnbind("diff-de-q\(s)", exchange: "", routingKey: "diff-de-q\(s)") }),
        ("bind missing queue", { ch, s in try await ch.queueBind("diff-de-missing\(s)", exchange: "diff-de-x\(s)") }),
        ("bind missing exchange", { ch, s in try await ch.queueBind("diff-de-q\(s)", exchange: "diff-de-missing\(s)") }),
        ("bind both missing", { ch, s in try await ch.queueBind("diff-de-missing\(s)", exchange: "diff-de-missing2\(s)") }),
        ("unbind absent binding", { ch, s in try await ch.queueUnbind("diff-de-q\(s)", exchange: "diff-de-x\(s)", routingKey: "nope") }),
        ("unbind missing queue", { ch, s in try await ch.queueUnbind("diff-de-missing\(s)", exchange: "diff-de-x\(s)") }),
        ("exchange bind missing source", { ch, s in
            try await ch.exchangeBind(destination: "diff-de-x\(s)", source: "diff-de-missing\(s)") }),
        ("exchange bind missing destination", { ch, s in
            try await ch.exchangeBind(destination: "diff-de-missing\(s)", source: "diff-de-x\(s)") }),
        ("exchange bind from default", { ch, s in try await ch.exchangeBind(destination: "diff-de-x\(s)", source: "") }),
        ("headers bind bad x-match", { ch, s in
            try await ch.queueBind("diff-de-q\(s)", exchange: "diff-de-h\(s)", arguments: ["x-match": "some"]) }),
        ("headers bind x-match not a string", { ch, s in
            try await ch.queueBind("diff-de-q\(s)", exchange: "diff-de-h\(s)", arguments: ["x-match": .int32(1)]) }),
        ("publish to missing exchange", { ch, s in
            try await ch.publish(ByteBuffer(string: "x"), exchange: "diff-de-missing\(s)", routingKey: "k")
            try await ch.queueDeclare("diff-de-q\(s)", passive: true)
        }),
        ("publish to internal exchange", { ch, s in
            try await ch.publish(ByteBuffer(string: "x"), exchange: "diff-de-internal\(s)", routingKey: "k")
            try await ch.queueDeclare("diff-de-q\(s)", passive: true)
        }),
        ("get missing queue", { ch, s in _ = try await ch.get("diff-de-missing\(s)") }),
        ("consume missing queue", { ch, s in _ = try await ch.consume("diff-de-missing\(s)") }),
        ("purge missing queue", { ch, s in try await ch.queuePurge("diff-de-missing\(s)") }),
        ("delete missing queue", { ch, s in try await ch.queueDelete("diff-de-missing\(s)") }),
        ("delete queue if-empty", { ch, s in try await ch.queueDelete("diff-de-full\(s)", ifEmpty: true) }),
        ("delete queue if-unused", { ch, s in try await ch.queueDelete("diff-de-used\(s)", ifUnused: true) }),
        ("unknown exchange type", { ch, s in try await ch.exchangeDeclare("diff-de-bad23\(s)", type: "nonsense") }),
    ]

    @Test func exchangeBindingAndDeleteRefusals() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-de-q", "diff-de-full", "diff-de-used"],
                                   exchanges: ["diff-de-x", "diff-de-h", "diff-de-internal"] + (1...50).map { "diff-de-bad\($0)" }) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                try await ch.queueDeclare("diff-de-q\(s)")
                try await ch.queueDeclare("diff-de-full\(s)")
                try await ch.queueDeclare("diff-de-used\(s)")
                try await ch.exchangeDeclare("diff-de-x\(s)", type: "direct")
                try await ch.exchangeDeclare("diff-de-h\(s)", type: "headers")
                try await ch.exchangeDeclare("diff-de-internal\(s)", type: "fanout", internal: true)
                try await ch.queueBind("diff-de-q\(s)", exchange: "diff-de-x\(s)", routingKey: "bound")
                try await ch.publish(ByteBuffer(string: "keep"), routingKey: "diff-de-full\(s)")
                _ = try await ch.consume("diff-de-used\(s)", consumerTag: "holder")
                try await Self.runAll(Self.exchangeAttempts, url: url, s: s, t: &t)
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}

extension FieldTable {
    func adding(_ key: String, _ value: FieldValue) -> FieldTable {
        FieldTable(entries + [(key, value)])
    }
}
