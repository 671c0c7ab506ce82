import Foundation
import NIOCore
import Testing
import WarrenClient

/// Users, tags and permissions: the same script on the RabbitMQ node scripts/test starts and on
/// the embedded broker, set up through each one's management API as an administrator, then
/// driven over AMQP and HTTP as the restricted users. The transcripts must be identical.
@Suite(.enabled(if: RabbitNode.isAvailable,
                "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
struct AccessDifferentialTests {
    /// The restricted user's patterns: configure, write and read only names starting `acc-own-`.
    static let own = "^acc-own-"

    @Test func amqpPermissionsOnEveryMethod() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            try await side.createUser("acc-app\(s)", tags: "")
            try await side.createUser("acc-none\(s)", tags: "")
            try await side.setPermissions("acc-app\(s)", configure: Self.own, write: Self.own, read: Self.own)
            // The administrator's objects the restricted user must not touch.
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ach = try await admin.openChannel()
            try await ach.queueDeclare("acc-other-q\(s)")
            try await ach.exchangeDeclare("acc-other-x\(s)")
            try await ach.publish(ByteBuffer(string: "theirs"), routingKey: "acc-other-q\(s)")

            await t.attempt("connect without permissions") {
                let connection = try await AMQPConnection.connect(to: side.amqpURL("acc-none\(s)", "pw"))
                try await connection.close()
            }
            let app = try await AMQPConnection.connect(to: side.amqpURL("acc-app\(s)", "pw"))
            let q = "acc-own-q\(s)", x = "acc-own-x\(s)", t1 = "acc-own-t\(s)"
            let steps: [(String, @Sendable (AMQPChannel) async throws -> Void)] = [
                ("declare own queue", { ch in try await ch.queueDeclare(q) }),
                ("declare own exchange", { ch in try await ch.exchangeDeclare(x) }),
                ("declare own topic exchange", { ch in try await ch.exchangeDeclare(t1, type: "topic") }),
                ("declare other queue", { ch in try await ch.queueDeclare("acc-other-q\(s)") }),
                ("declare server-named queue", { ch in try await ch.queueDeclare("") }),
                ("declare exclusive other queue", { ch in try await ch.queueDeclare("acc-other-e\(s)", exclusive: true) }),
                ("declare amq. queue", { ch in try await ch.queueDeclare("amq.acc\(s)") }),
                ("passive declare other queue", { ch in try await ch.queueDeclare("acc-other-q\(s)", passive: true) }),
                ("passive declare other exchange", { ch in try await ch.exchangeDeclare("acc-other-x\(s)", passive: true) }),
                ("declare with other dead-letter exchange", { ch in
                    try await ch.queueDeclare("acc-own-dl\(s)", arguments: ["x-dead-letter-exchange": .string("acc-other-x\(s)")])
                }),
                ("declare with other alternate exchange", { ch in
                    try await ch.exchangeDeclare("acc-own-ae\(s)", arguments: ["alternate-exchange": .string("acc-other-x\(s)")])
                }),
                ("declare other exchange", { ch in try await ch.exchangeDeclare("acc-other-y\(s)") }),
                ("redeclare amq.direct", { ch in try await ch.exchangeDeclare("amq.direct") }),
                ("delete other exchange", { ch in try await ch.exchangeDelete("acc-other-x\(s)") }),
                ("publish to default exchange", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), routingKey: q)
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("publish to own exchange", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), exchange: x, routingKey: q)
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("publish to other missing exchange", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), exchange: "acc-other-nx\(s)", routingKey: q)
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("publish to own missing exchange", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), exchange: "acc-own-nx\(s)", routingKey: q)
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("get other queue", { ch in _ = try await ch.get("acc-other-q\(s)") }),
                ("get own queue", { ch in _ = try await ch.get(q) }),
                ("consume other queue", { ch in _ = try await ch.consume("acc-other-q\(s)") }),
                ("purge other queue", { ch in _ = try await ch.queuePurge("acc-other-q\(s)") }),
                ("purge own queue", { ch in _ = try await ch.queuePurge(q) }),
                ("bind own queue to amq.direct", { ch in try await ch.queueBind(q, exchange: "amq.direct") }),
                ("bind other queue to own exchange", { ch in try await ch.queueBind("acc-other-q\(s)", exchange: x) }),
                ("bind own queue to own exchange", { ch in try await ch.queueBind(q, exchange: x, routingKey: "k") }),
                ("unbind own queue from own exchange", { ch in try await ch.queueUnbind(q, exchange: x, routingKey: "k") }),
                ("unbind own queue from other exchange", { ch in try await ch.queueUnbind(q, exchange: "acc-other-x\(s)") }),
                ("bind own exchange to other exchange", { ch in
                    try await ch.exchangeBind(destination: x, source: "acc-other-x\(s)")
                }),
                ("delete other queue", { ch in try await ch.queueDelete("acc-other-q\(s)") }),
                ("delete own missing queue", { ch in try await ch.queueDelete("acc-own-missing\(s)") }),
                ("delete own queue", { ch in try await ch.queueDelete(q) }),
            ]
            for (label, step) in steps {
                await t.attempt(label, on: app, step)
            }
            try? await app.close()
            try await side.cleanup(admin, queues: ["acc-other-q\(s)"], exchanges: ["acc-other-x\(s)", x, t1])
            try? await admin.close()
            try await side.deleteUsers(["acc-app\(s)", "acc-none\(s)"])
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// user_id must be the user's own name, unless they are tagged impersonator.
    @Test func impersonation() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            for (user, tag) in [("acc-plain\(s)", ""), ("acc-imp\(s)", "impersonator")] {
                try await side.createUser(user, tags: tag)
                try await side.setPermissions(user, configure: ".*", write: ".*", read: ".*")
                let connection = try await AMQPConnection.connect(to: side.amqpURL(user, "pw"))
                var delivered = "nothing"
                await t.attempt("\(tag.isEmpty ? "plain" : tag) publishes as someone else", on: connection) { ch in
                    try await ch.queueDeclare("acc-own-i\(s)", exclusive: true)
                    // Confirmed, so the message is in the queue when the get asks.
                    _ = try await ch.publishConfirmed(ByteBuffer(string: "m"), routingKey: "acc-own-i\(s)",
                                                      properties: BasicProperties(userID: "someone-else"))
                    let got = try await ch.get("acc-own-i\(s)", noAck: true)
                    delivered = got?.message.properties.userID ?? "no user_id"
                }
                t.record("delivered: \(delivered)")
                try? await connection.close()
            }
            try await side.deleteUsers(["acc-plain\(s)", "acc-imp\(s)"])
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    @Test func topicPermissions() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            try await side.createUser("acc-top\(s)", tags: "")
            try await side.setPermissions("acc-top\(s)", configure: Self.own, write: Self.own, read: Self.own)
            try await side.setTopicPermissions("acc-top\(s)", exchange: "acc-own-t\(s)", write: "^allowed\\.",
                                               read: "^{username}\\.")
            let app = try await AMQPConnection.connect(to: side.amqpURL("acc-top\(s)", "pw"))
            let q = "acc-own-q\(s)", x = "acc-own-t\(s)"
            let steps: [(String, @Sendable (AMQPChannel) async throws -> Void)] = [
                ("declare", { ch in
                    try await ch.exchangeDeclare(x, type: "topic")
                    try await ch.queueDeclare(q)
                }),
                ("publish allowed key", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), exchange: x, routingKey: "allowed.one")
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("publish denied key", { ch in
                    try await ch.publish(ByteBuffer(string: "m"), exchange: x, routingKey: "denied.one")
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("bind with the user's key", { ch in try await ch.queueBind(q, exchange: x, routingKey: "acc-top\(s).#") }),
                ("bind with another key", { ch in try await ch.queueBind(q, exchange: x, routingKey: "other.#") }),
                ("delete", { ch in
                    try await ch.queueDelete(q)
                    try await ch.exchangeDelete(x)
                }),
            ]
            for (label, step) in steps {
                await t.attempt(label, on: app, step)
            }
            t.record("topic permissions: " + (try await side.adminJSON("GET", "/api/topic-permissions/%2F/acc-top\(s)")))
            // The same rules through the management API.
            try await side.createUser("acc-topm\(s)", tags: "management")
            try await side.setPermissions("acc-topm\(s)", configure: ".*", write: ".*", read: ".*")
            try await side.setTopicPermissions("acc-topm\(s)", exchange: "amq.topic", write: "^allowed\\.", read: "^allowed\\.")
            for key in ["allowed.one", "denied.one"] {
                let body = #"{"routing_key":"\#(key)","payload":"m","payload_encoding":"string","properties":{}}"#
                t.record("management publish \(key)", try await side.request(
                    "POST", "/api/exchanges/%2F/amq.topic/publish", body: body, as: "acc-topm\(s)", password: "pw"))
            }
            try await side.deleteUsers(["acc-topm\(s)"])
            try? await app.close()
            try await side.deleteUsers(["acc-top\(s)"])
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }
}
