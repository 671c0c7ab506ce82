import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient

extension ManagementTests {
    /// `warren check`, the binary, against the embedded broker: each threshold kind fires (exit 1,
    /// its line), nothing fires (exit 0), and an unreachable broker or a refused login keep their codes.
    @Suite struct CheckCommandTests {
        /// The `warren` binary `swift build` produced.
        static var binary: String {
            var directory = URL(fileURLWithPath: #filePath)
            while directory.path != "/"
                && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                directory.deleteLastPathComponent()
            }
            return directory.appendingPathComponent(".build/debug/warren").path
        }

        /// Runs `warren check` with no URL in the environment and a config folder of its own
        /// (holding `config` when given).
        static func check(_ arguments: [String], config: String? = nil) async throws -> Subprocess.Output {
            let folder = NSTemporaryDirectory() + "warren-check-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: folder + "/warren", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            if let config { try config.write(toFile: folder + "/warren/config", atomically: true, encoding: .utf8) }
            var environment = ProcessInfo.processInfo.environment
            environment["WARREN_AMQP_URL"] = nil
            environment["WARREN_MANAGEMENT_URL"] = nil
            environment["XDG_CONFIG_HOME"] = folder
            return try await Subprocess.run(binary, ["check"] + arguments, environment: environment)
        }

        static func management(_ m: EmbeddedManagement) -> [String] {
            ["--management", "http://guest:guest@127.0.0.1:\(m.port)/"]
        }

        /// `orders` dead-letters into `orders.dlq`, which holds `dead` messages; `orders` holds `ready`.
        static func declareOrders(_ m: EmbeddedManagement, dead: Int, ready: Int) async throws {
            try await MonitorOnEmbeddedBrokerTests.withChannel(m.amqpURL) { channel in
                _ = try await channel.queueDeclare("orders.dlq")
                _ = try await channel.queueDeclare("orders", arguments: [
                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq",
                ])
                for n in 0..<dead { _ = try await channel.publish(ByteBuffer(string: "d\(n)"), routingKey: "orders.dlq") }
                for n in 0..<ready { _ = try await channel.publish(ByteBuffer(string: "o\(n)"), routingKey: "orders") }
            }
            _ = try await m.eventually("/api/queues/%2F/orders.dlq") { ($0["messages"] as? Int) == dead }
            _ = try await m.eventually("/api/queues/%2F/orders") { ($0["messages_ready"] as? Int) == ready }
        }

        @Test func nothingFiresExitsZeroAndPrintsNothing() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.declareOrders(m, dead: 3, ready: 5)
                let result = try await Self.check(Self.management(m) + ["--dlq-depth", "3", "--dlq-growth", "1000000",
                                                                         "--ready", "5", "--no-consumers"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
                let json = try await Self.check(Self.management(m) + ["--ready", "5", "--json"])
                #expect(json.status == 0 && json.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(json)")
            }
        }

        @Test func dlqDepthAndReadyFire() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.declareOrders(m, dead: 3, ready: 5)
                let depth = try await Self.check(Self.management(m) + ["--dlq-depth", "2"])
                #expect(depth.status == 1, "\(depth.stderr)")
                #expect(depth.lines == ["ALERT dlq-depth vhost=/ queue=orders.dlq depth=3 > 2"])
                let ready = try await Self.check(Self.management(m) + ["--ready", "2"])
                #expect(ready.status == 1, "\(ready.stderr)")
                #expect(ready.lines == ["ALERT ready vhost=/ queue=orders ready=5 > 2",
                                        "ALERT ready vhost=/ queue=orders.dlq ready=3 > 2"])
                let json = try await Self.check(Self.management(m) + ["--ready", "4", "--json"])
                #expect(json.status == 1)
                let alerts = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
                #expect(alerts.map { $0["kind"] as? String } == ["ready"])
                #expect(alerts.first?["object"] as? String == "orders" && (alerts.first?["figure"] as? NSNumber)?.doubleValue == 5)
            }
        }

        @Test func dlqGrowthFiresWhileTheQueueGrows() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.declareOrders(m, dead: 0, ready: 0)
                // Publishes into the DLQ until the check sees it grow: the API's rate is sampled.
                let publisher = Task {
                    try await MonitorOnEmbeddedBrokerTests.withChannel(m.amqpURL) { channel in
                        while !Task.isCancelled {
                            for n in 0..<20 { _ = try await channel.publish(ByteBuffer(string: "g\(n)"), routingKey: "orders.dlq") }
                            try await Task.sleep(for: .milliseconds(50))
                        }
                    }
                }
                var result = try await Self.check(Self.management(m) + ["--dlq-growth", "60", "--no-node-alarms"])
                for _ in 0..<20 where result.status == 0 {
                    result = try await Self.check(Self.management(m) + ["--dlq-growth", "60", "--no-node-alarms"])
                }
                publisher.cancel()
                _ = await publisher.result
                #expect(result.status == 1, "\(result)")
                #expect(result.lines.count == 1 && result.lines[0].hasPrefix("ALERT dlq-growth vhost=/ queue=orders.dlq growth="),
                        "\(result.stdout)")
                #expect(result.lines.first?.hasSuffix("/min > 60") == true)
            }
        }

        @Test func noConsumersFiresForAQueueThatHadOne() async throws {
            try await EmbeddedManagement.with { m in
                try await MonitorOnEmbeddedBrokerTests.withChannel(m.amqpURL) { channel in
                    _ = try await channel.queueDeclare("work")
                    _ = try await channel.queueDeclare("never.consumed")
                    _ = try await channel.publish(ByteBuffer(string: "job"), routingKey: "work")
                    let consumer = try await channel.consume("work", noAck: true)
                    for try await _ in consumer { break }
                    try await consumer.cancel()
                }
                _ = try await m.eventually("/api/queues/%2F/work") { queue in
                    let stats = queue["message_stats"] as? [String: Any]
                    return (queue["consumers"] as? Int) == 0 && ((stats?["deliver_no_ack"] as? Int) ?? 0) > 0
                }
                let result = try await Self.check(Self.management(m) + ["--no-consumers"])
                #expect(result.status == 1, "\(result.stderr)")
                #expect(result.lines == ["ALERT no-consumers vhost=/ queue=work consumers=0 (delivered 1 to consumers before)"])
            }
        }

        @Test func nodeAlarmsFireUnlessTurnedOff() async throws {
            var configuration = BrokerConfiguration(amqpPort: 0)
            configuration.diskFreeLimit = Int.max
            try await EmbeddedManagement.with(configuration) { m in
                let nodes = try await m.list("/api/nodes")
                let node = try #require(nodes.first?["name"] as? String)
                _ = try await m.eventually("/api/nodes/\(node)") { ($0["disk_free_alarm"] as? Bool) == true }
                let result = try await Self.check(Self.management(m))
                #expect(result.status == 1, "\(result.stderr)")
                #expect(result.lines == ["ALERT node-alarm node=\(node) alarm=disk"])
                let off = try await Self.check(Self.management(m) + ["--no-node-alarms", "--ready", "100"])
                #expect(off.status == 0 && off.stdout.isEmpty, "\(off)")
                let nothingAsked = try await Self.check(Self.management(m) + ["--no-node-alarms"])
                #expect(nothingAsked.status == 64, "\(nothingAsked)")
            }
        }

        @Test func configFileThresholdsAndFlagsOverThem() async throws {
            try await EmbeddedManagement.with { m in
                try await Self.declareOrders(m, dead: 3, ready: 0)
                let config = "[alerts]\ndlq_depth = 2\nbell = true\n"
                let fromConfig = try await Self.check(Self.management(m), config: config)
                #expect(fromConfig.status == 1, "\(fromConfig.stderr)")
                #expect(fromConfig.lines == ["ALERT dlq-depth vhost=/ queue=orders.dlq depth=3 > 2"])
                let overridden = try await Self.check(Self.management(m) + ["--dlq-depth", "3"], config: config)
                #expect(overridden.status == 0 && overridden.stdout.isEmpty, "\(overridden)")
                let unknown = try await Self.check(Self.management(m), config: "[alerts]\nqueue_depth = 2\n")
                #expect(unknown.status == 0 && unknown.stderr.contains("unknown alerts key 'queue_depth'"), "\(unknown)")
            }
        }

        @Test func unreachableAndRefusedKeepTheirCodes() async throws {
            let unreachable = try await Self.check(["--management", "http://127.0.0.1:1/", "--dlq-depth", "1"])
            #expect(unreachable.status == 69 && unreachable.stdout.isEmpty, "\(unreachable)")
            #expect(unreachable.stderr.split(separator: "\n").count == 1 && unreachable.stderr.contains("unreachable"))
            try await EmbeddedManagement.with { m in
                let refused = try await Self.check(["--management", "http://guest:wrong@127.0.0.1:\(m.port)/", "--ready", "1"])
                #expect(refused.status == 77 && refused.stderr.contains("login refused"), "\(refused)")
            }
        }
    }
}

extension Subprocess.Output {
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}
