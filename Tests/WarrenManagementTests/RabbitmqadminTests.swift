import Foundation
import Testing

extension ManagementTests {
    /// RabbitMQ's own CLI, rabbitmqadmin (shipped with rabbitmq-server, run with python3), against
    /// the embedded broker's management API. scripts/test installs rabbitmq-server and sets
    /// WARREN_INTEGRATION, so in CI this always runs; elsewhere it needs both.
    @Suite(.enabled(if: ProcessInfo.processInfo.environment["WARREN_INTEGRATION"] != nil,
                    "needs WARREN_INTEGRATION and rabbitmq-server's rabbitmqadmin (scripts/test provides both)"))
    struct RabbitmqadminTests {
        static let candidates = [
            "/usr/bin/rabbitmqadmin", "/usr/sbin/rabbitmqadmin", "/usr/local/bin/rabbitmqadmin",
            "/usr/lib/rabbitmq/lib/rabbitmq_server-3.10.8/plugins/rabbitmq_management-3.10.8/priv/www/cli/rabbitmqadmin",
        ]

        static func locate() -> String? {
            if let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) { return path }
            // Other versions of the Debian package keep it under a versioned plugin folder.
            let root = "/usr/lib/rabbitmq/lib"
            for server in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                let plugins = "\(root)/\(server)/plugins"
                for plugin in (try? FileManager.default.contentsOfDirectory(atPath: plugins)) ?? []
                where plugin.hasPrefix("rabbitmq_management-") {
                    let path = "\(plugins)/\(plugin)/priv/www/cli/rabbitmqadmin"
                    if FileManager.default.isReadableFile(atPath: path) { return path }
                }
            }
            return nil
        }

        /// Runs rabbitmqadmin with `arguments`; returns its standard output, expecting exit status 0.
        static func run(_ tool: String, port: Int, _ arguments: [String], format: String = "tsv",
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let result = try await Subprocess.run("/usr/bin/env", ["python3", tool, "-H", "127.0.0.1", "-P", String(port),
                                                                  "-u", "guest", "-p", "guest", "-f", format] + arguments)
            #expect(result.status == 0, "rabbitmqadmin \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            return result.stdout
        }

        @Test func listDeclarePublishGetDelete() async throws {
            let tool = try #require(Self.locate(), "rabbitmqadmin not found; install rabbitmq-server")
            try await EmbeddedManagement.with { m in
                let traffic = try await Traffic.start(m.amqpURL)
                let run = { (arguments: [String]) async throws -> String in try await Self.run(tool, port: m.port, arguments) }

                #expect(try await run(["declare", "queue", "name=admin.q", "durable=true"]).contains("queue declared"))
                #expect(try await run(["declare", "exchange", "name=admin.x", "type=direct"]).contains("exchange declared"))
                #expect(try await run(["declare", "binding", "source=admin.x", "destination=admin.q", "routing_key=k"])
                    .contains("binding declared"))
                #expect(try await run(["publish", "exchange=admin.x", "routing_key=k", "payload=from rabbitmqadmin"])
                    .contains("Message published"))

                let queues = try await run(["list", "queues", "name", "messages"])
                #expect(queues.contains("admin.q\t1"))
                #expect(queues.contains("shape.orders"))
                let exchanges = try await run(["list", "exchanges", "name", "type"])
                #expect(exchanges.contains("admin.x\tdirect"))
                #expect(exchanges.contains("shape.topic\ttopic"))
                let bindings = try await run(["list", "bindings", "source", "destination", "routing_key"])
                #expect(bindings.contains("admin.x\tadmin.q\tk"))
                #expect(try await run(["list", "consumers", "consumer_tag", "queue.name"]).contains("shape-worker"))
                let connections = try await run(["list", "connections", "user", "channels"])
                #expect(connections.contains("guest\t2"))

                let got = try await run(["get", "queue=admin.q", "ackmode=ack_requeue_false"])
                #expect(got.contains("from rabbitmqadmin"))
                #expect(try await run(["list", "queues", "name", "messages"]).contains("admin.q\t0"))

                #expect(try await run(["delete", "queue", "name=admin.q"]).contains("queue deleted"))
                #expect(!(try await run(["list", "queues", "name"]).contains("admin.q")))
                let overview = try await Self.run(tool, port: m.port, ["show", "overview"], format: "raw_json")
                #expect(overview.contains("\"management_version\""))
                await traffic.stop()
            }
        }
    }
}
