import Foundation
import Testing

extension ManagementTests {
    /// Every endpoint against RabbitMQ 3.10.8's captures (Fixtures/): each key RabbitMQ returns for
    /// the same kind of object is present with the same JSON type. The gaps are deliberate and
    /// listed here with their reason.
    @Suite struct ShapeTests {
        /// Erlang process internals that have no meaning for a Swift broker.
        static let erlangProcess: Set<String> = ["garbage_collection", "reductions", "reductions_details"]

        @Test func everyEndpointHasRabbitMQsKeys() async throws {
            try await EmbeddedManagement.with { m in
                let traffic = try await Traffic.start(m.amqpURL)
                defer { Task { await traffic.stop() } }
                // Wait until the consumer holds its prefetch and two samples exist (rates, idle_since).
                _ = try await m.eventually("/api/queues/%2F/shape.orders") { $0["messages_unacknowledged"] as? Int == 5 }
                try await Task.sleep(nanoseconds: 500_000_000)

                let queues = try await m.list("/api/queues")
                let reference = try Shape.fixtureObjects("queues.json")
                // idle_since: like RabbitMQ, only on queues with no activity in the last sample;
                // message_stats: like RabbitMQ, only on queues that have seen a message.
                let classic = queues.filter { $0["type"] as? String == "classic" && $0["name"] as? String != "shape.orders" }
                Shape.check(classic.filter { $0["message_stats"] != nil },
                            against: reference.filter { $0["type"] as? String == "classic" },
                            gaps: Self.erlangProcess, nested: ["message_stats", "backing_queue_status"],
                            what: "classic queue")
                Shape.check(classic, against: reference.filter { $0["type"] as? String == "classic" },
                            gaps: Self.erlangProcess.union(["message_stats"]), what: "classic queue")
                let idle = queues.first { ($0["name"] as? String) == "shape.idle" }
                #expect(idle != nil && idle?["message_stats"] == nil)
                Shape.check(queues.filter { $0["type"] as? String == "quorum" },
                            against: reference.filter { $0["type"] as? String == "quorum" },
                            gaps: Self.erlangProcess, nested: ["message_stats"], what: "quorum queue")
                let one = try await m.object("/api/queues/%2F/shape.orders")
                #expect((one["consumer_details"] as? [[String: Any]])?.first?["consumer_tag"] as? String == "shape-worker")
                Shape.check([one], against: reference.filter { $0["type"] as? String == "classic" },
                            gaps: Self.erlangProcess.union(["idle_since"]), nested: ["message_stats", "backing_queue_status"],
                            what: "single queue")

                let paged = try await m.object("/api/queues?page=1&page_size=2&disable_stats=true&enable_queue_totals=true")
                let pagedReference = try #require(try Shape.fixture("queues-paged.json") as? [String: Any])
                Shape.check([paged], against: [pagedReference], what: "queue page")
                Shape.check(try #require(paged["items"] as? [[String: Any]]),
                            against: try #require(pagedReference["items"] as? [[String: Any]]), what: "paged queue")

                // Exchanges without traffic have no message_stats, in RabbitMQ too.
                let exchanges = try await m.list("/api/exchanges/%2F")
                Shape.check(exchanges.filter { $0["name"] as? String == "shape.topic" },
                            against: try Shape.fixtureObjects("exchanges.json"), what: "exchange with traffic")
                Shape.check(exchanges, against: try Shape.fixtureObjects("exchanges.json"), gaps: ["message_stats"],
                            what: "exchange")

                Shape.check(try await m.list("/api/bindings"), against: try Shape.fixtureObjects("bindings.json"),
                            what: "binding")
                Shape.check(try await m.list("/api/consumers"), against: try Shape.fixtureObjects("consumers.json"),
                            nested: ["channel_details", "queue"], what: "consumer")
                Shape.check(try await m.list("/api/connections"), against: try Shape.fixtureObjects("connections.json"),
                            gaps: Self.erlangProcess, what: "connection")
                // idle_since on channels: only when idle, as for queues.
                Shape.check(try await m.list("/api/channels"), against: try Shape.fixtureObjects("channels.json"),
                            gaps: Self.erlangProcess.union(["idle_since"]), nested: ["message_stats", "connection_details"],
                            what: "channel")
                let vhosts = try await m.list("/api/vhosts")
                Shape.check(vhosts, against: try Shape.fixtureObjects("vhosts.json"),
                            nested: ["metadata", "message_stats"], what: "vhost")
                let vhostStats = vhosts.first?["message_stats"] as? [String: Any]
                #expect(vhostStats?["publish"] as? Int == 23)
                Shape.check(try await m.list("/api/nodes"), against: try Shape.fixtureObjects("nodes.json"),
                            gaps: Self.erlangNode, what: "node")
                let overview = try await m.object("/api/overview")
                Shape.check([overview], against: [try #require(try Shape.fixture("overview.json") as? [String: Any])],
                            nested: ["message_stats", "queue_totals", "object_totals", "churn_rates"], what: "overview")
                Shape.check([try await m.object("/api/whoami")],
                            against: [try #require(try Shape.fixture("whoami.json") as? [String: Any])], what: "whoami")

                let definitions = try await m.object("/api/definitions")
                let definitionsReference = try #require(try Shape.fixture("definitions.json") as? [String: Any])
                Shape.check([definitions], against: [definitionsReference], what: "definitions")
                for key in ["users", "vhosts", "queues", "exchanges", "bindings", "permissions"] {
                    Shape.check(try #require(definitions[key] as? [[String: Any]]),
                                against: try #require(definitionsReference[key] as? [[String: Any]]),
                                what: "definitions \(key)")
                }

                let got = try await m.request("POST", "/api/queues/%2F/shape.dlq/get",
                                              body: #"{"count":2,"ackmode":"ack_requeue_true","encoding":"auto"}"#)
                let messages = try #require(try got.json() as? [[String: Any]])
                // The captured DLQ messages carry properties; these were published without any.
                Shape.check(messages, against: try Shape.fixtureObjects("get-dlq.json"), gaps: ["properties"],
                            what: "fetched message")
                let emptyProperties = messages.map { ($0["properties"] as? [Any])?.isEmpty }
                #expect(emptyProperties == [true, true])
            }
        }

        /// Node keys about the Erlang VM, Mnesia and Raft, which Warren does not have.
        static let erlangNode: Set<String> = [
            "context_switches", "context_switches_details", "gc_bytes_reclaimed", "gc_bytes_reclaimed_details", "gc_num",
            "gc_num_details", "metrics_gc_queue_length", "mnesia_disk_tx_count", "mnesia_disk_tx_count_details",
            "mnesia_ram_tx_count", "mnesia_ram_tx_count_details", "net_ticktime", "proc_total", "proc_used",
            "proc_used_details", "ra_open_file_metrics", "run_queue",
        ]

        @Test func prometheusUsesRabbitMQsMetricNames() async throws {
            try await EmbeddedManagement.with { m in
                let traffic = try await Traffic.start(m.amqpURL)
                defer { Task { await traffic.stop() } }
                let result = try await HTTP.request(port: m.port, "GET", "/metrics", auth: nil)
                #expect(result.status == 200)
                let url = try #require(Bundle.module.url(forResource: "prometheus-metrics.txt", withExtension: nil,
                                                         subdirectory: "Fixtures"))
                let reference = Set(try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                    .filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
                let ours = result.body.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
                    .map { String($0.split(separator: " ")[2]) }
                #expect(ours.count > 40)
                for name in ours { #expect(reference.contains(name), "\(name) is not one of rabbitmq_prometheus' names") }
                let ready = result.body.split(separator: "\n").first { $0.hasPrefix("rabbitmq_queue_messages_ready ") }
                let readyValue = ready.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
                #expect(readyValue > 0)

                let perObject = try await HTTP.request(port: m.port, "GET", "/metrics/per-object", auth: nil)
                let dlqLine = perObject.body.split(separator: "\n").first {
                    $0.hasPrefix("rabbitmq_queue_messages_ready{") && $0.contains(#"queue="shape.dlq""#)
                }
                #expect(dlqLine?.contains(#"vhost="/""#) == true)
                let dlqReady = dlqLine.flatMap { Double($0.split(separator: " ").last ?? "") }
                #expect(dlqReady == 3)
            }
        }
    }
}
