import Foundation
import NIOCore
import Testing
import WarrenClient

extension ManagementTests {
    /// get (all ackmodes, encodings, truncate), the peek extension, publish and purge, and the
    /// statistics they move.
    @Suite struct MessageEndpointTests {
        static func publish(_ m: EmbeddedManagement, _ queue: String, _ payloads: [String]) async throws {
            for payload in payloads {
                let body = #"{"routing_key":"\#(queue)","payload":"\#(payload)","payload_encoding":"string","properties":{"delivery_mode":2,"headers":{"n":1}}}"#
                let result = try await m.request("POST", "/api/exchanges/%2F/amq.default/publish", body: body)
                #expect(try result.json() as? [String: Bool] == ["routed": true])
            }
        }

        static func get(_ m: EmbeddedManagement, _ queue: String, _ body: String) async throws -> [[String: Any]] {
            let result = try await m.request("POST", "/api/queues/%2F/\(queue)/get", body: body)
            #expect(result.status == 200, "\(result.body)")
            return try #require(try result.json() as? [[String: Any]])
        }

        @Test func peekHasNoSideEffects() async throws {
            try await EmbeddedManagement.with { m in
                _ = try await m.request("PUT", "/api/queues/%2F/peeked", body: #"{"durable":true}"#)
                try await Self.publish(m, "peeked", ["a", "b", "c"])
                let before = try await m.object("/api/queues/%2F/peeked")
                for _ in 0..<3 {
                    let peeked = try await Self.get(m, "peeked", #"{"count":2,"ackmode":"peek","encoding":"auto"}"#)
                    #expect(peeked.map { $0["payload"] as? String } == ["a", "b"])
                    let redelivered = peeked.map { $0["redelivered"] as? Bool }
                    #expect(redelivered == [false, false])
                }
                let viaGet = try await m.list("/api/queues/%2F/peeked/peek?count=10")
                #expect(viaGet.map { $0["payload"] as? String } == ["a", "b", "c"])
                let after = try await m.object("/api/queues/%2F/peeked")
                #expect(after["messages_ready"] as? Int == 3)
                let stats = try #require(after["message_stats"] as? [String: Any])
                let statsBefore = try #require(before["message_stats"] as? [String: Any])
                for key in ["deliver_get", "get", "redeliver", "ack"] {
                    #expect(stats[key] as? Int == statsBefore[key] as? Int, "\(key) moved")
                }
                // A client still sees the messages as first deliveries, in order.
                let connection = try await AMQPConnection.connect(to: m.amqpURL)
                let channel = try await connection.openChannel()
                let first = try #require(try await channel.get("peeked", noAck: true))
                #expect(first.message.redelivered == false)
                #expect(String(buffer: first.message.body) == "a")
                try await connection.close()
            }
        }

        @Test func ackmodesRequeueAckAndReject() async throws {
            try await EmbeddedManagement.with { m in
                _ = try await m.request("PUT", "/api/exchanges/%2F/dlx", body: #"{"type":"fanout"}"#)
                _ = try await m.request("PUT", "/api/queues/%2F/dlq", body: "{}")
                _ = try await m.request("POST", "/api/bindings/%2F/e/dlx/q/dlq", body: "{}")
                _ = try await m.request("PUT", "/api/queues/%2F/work",
                                        body: #"{"arguments":{"x-dead-letter-exchange":"dlx"}}"#)
                try await Self.publish(m, "work", ["one", "two", "three", "four"])

                let requeued = try await Self.get(m, "work", #"{"count":2,"ackmode":"ack_requeue_true","encoding":"auto"}"#)
                #expect(requeued.map { $0["payload"] as? String } == ["one", "two"])
                #expect(requeued.map { $0["message_count"] as? Int } == [3, 2])
                #expect(requeued.first?["redelivered"] as? Bool == false)
                let properties = try #require(requeued.first?["properties"] as? [String: Any])
                #expect(properties["delivery_mode"] as? Int == 2)
                #expect((properties["headers"] as? [String: Any])?["n"] as? Int == 1)

                let again = try await Self.get(m, "work", #"{"count":1,"ackmode":"reject_requeue_true","encoding":"base64"}"#)
                #expect(again.first?["redelivered"] as? Bool == true)
                #expect(again.first?["payload"] as? String == Data("one".utf8).base64EncodedString())
                #expect(again.first?["payload_encoding"] as? String == "base64")

                let truncated = try await Self.get(m, "work", #"{"count":1,"ackmode":"ack_requeue_false","encoding":"auto","truncate":2}"#)
                #expect(truncated.first?["payload"] as? String == "on")
                #expect(truncated.first?["payload_bytes"] as? Int == 3)

                let rejected = try await Self.get(m, "work", #"{"count":1,"ackmode":"reject_requeue_false","encoding":"auto"}"#)
                #expect(rejected.first?["payload"] as? String == "two")
                let dead = try await Self.get(m, "dlq", #"{"count":5,"ackmode":"peek","encoding":"auto"}"#)
                #expect(dead.map { $0["payload"] as? String } == ["two"])
                let headers = try #require((dead.first?["properties"] as? [String: Any])?["headers"] as? [String: Any])
                #expect(headers["x-first-death-reason"] as? String == "rejected")

                let queue = try await m.object("/api/queues/%2F/work")
                #expect(queue["messages"] as? Int == 2)
                let stats = try #require(queue["message_stats"] as? [String: Any])
                #expect(stats["get"] as? Int == 5)
                #expect(stats["ack"] as? Int == 1)
                #expect(stats["redeliver"] as? Int == 3)
                #expect(stats["publish"] as? Int == 4)

                let empty = try await Self.get(m, "dlq", #"{"count":0,"ackmode":"ack_requeue_false","encoding":"auto"}"#)
                #expect(empty.isEmpty)
            }
        }

        @Test func publishReportsRoutingAndPurgeEmpties() async throws {
            try await EmbeddedManagement.with { m in
                let unrouted = try await m.request("POST", "/api/exchanges/%2F/amq.default/publish",
                                                   body: #"{"routing_key":"nowhere","payload":"x","properties":{}}"#)
                #expect(try unrouted.json() as? [String: Bool] == ["routed": false])
                _ = try await m.request("PUT", "/api/queues/%2F/p", body: "{}")
                let binary = try await m.request(
                    "POST", "/api/exchanges/%2F/amq.default/publish",
                    body: #"{"routing_key":"p","payload":"\#(Data([0xff, 0x00, 0x80]).base64EncodedString())","payload_encoding":"base64","properties":{}}"#)
                #expect(try binary.json() as? [String: Bool] == ["routed": true])
                let got = try await Self.get(m, "p", #"{"count":1,"ackmode":"ack_requeue_true","encoding":"auto"}"#)
                #expect(got.first?["payload_encoding"] as? String == "base64")
                #expect(got.first?["payload"] as? String == Data([0xff, 0x00, 0x80]).base64EncodedString())
                let purge = try await m.request("DELETE", "/api/queues/%2F/p/contents")
                #expect(purge.status == 204)
                #expect(try await m.object("/api/queues/%2F/p")["messages"] as? Int == 0)
                let missing = try await m.request("POST", "/api/exchanges/%2F/nope/publish",
                                                  body: #"{"routing_key":"x","payload":"x","properties":{}}"#)
                #expect(missing.status == 404)
            }
        }

        @Test func countersAndRatesFollowAMQPTraffic() async throws {
            try await EmbeddedManagement.with { m in
                let connection = try await AMQPConnection.connect(to: m.amqpURL)
                let channel = try await connection.openChannel()
                try await channel.queueDeclare("rated")
                for n in 0..<50 { try await channel.publish(ByteBuffer(string: "m\(n)"), routingKey: "rated") }
                _ = try await channel.get("rated", noAck: false)
                _ = try await channel.get("rated", noAck: true)
                let queue = try await m.eventually("/api/queues/%2F/rated") {
                    (($0["message_stats"] as? [String: Any])?["publish"] as? Int) == 50 && $0["messages"] as? Int == 49
                }
                #expect(queue["messages_unacknowledged"] as? Int == 1)
                #expect(queue["messages_ready"] as? Int == 48)
                let bqs = try #require(queue["backing_queue_status"] as? [String: Any])
                #expect(bqs["len"] as? Int == 48)
                #expect(bqs["q4"] as? Int == 48)
                #expect((bqs["message_states"] as? [String: Int]) == ["alpha": 48, "beta": 0, "gamma": 0, "delta": 0])
                // Publishing keeps going; the sampled rate becomes positive.
                let publisher = Task {
                    for n in 0..<400 {
                        try await channel.publish(ByteBuffer(string: "r\(n)"), routingKey: "rated")
                        try await Task.sleep(nanoseconds: 2_000_000)
                    }
                }
                let rated = try await m.eventually("/api/queues/%2F/rated") {
                    let details = ($0["message_stats"] as? [String: Any])?["publish_details"] as? [String: Any]
                    return (details?["rate"] as? Double ?? 0) > 0
                }
                #expect(((rated["messages_details"] as? [String: Any])?["rate"] as? Double ?? 0) > 0)
                let history = try await m.object("/api/queues/%2F/rated?lengths_age=60&lengths_incr=0.1&msg_rates_age=60&msg_rates_incr=0.1")
                let samples = (history["messages_details"] as? [String: Any])?["samples"] as? [[String: Any]]
                #expect((samples?.count ?? 0) >= 2)
                try await publisher.value
                let overview = try await m.object("/api/overview")
                let totals = try #require(overview["message_stats"] as? [String: Any])
                #expect(totals["publish"] as? Int == 450)
                #expect(totals["get"] as? Int == 1)
                #expect(totals["get_no_ack"] as? Int == 1)
                try await connection.close()
            }
        }
    }
}
