import Foundation
import Testing

@Suite("warren CLI errors and exit codes", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct CLITests {
    static let urlVariables = ["WARREN_AMQP_URL", "WARREN_MANAGEMENT_URL"]

    func warren(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await Live.run(Live.warrenBinary, arguments, clearing: Self.urlVariables)
    }

    func expectOneLine(_ result: (status: Int32, stdout: String, stderr: String), status: Int32, containing text: String,
                       _ location: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: location)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line, got: \(result.stderr)", sourceLocation: location)
        #expect(result.stderr.contains(text), "stderr: \(result.stderr)", sourceLocation: location)
    }

    var amqpPort: String {
        let url = URLComponents(string: Live.amqpURL!)!
        return String(url.port!)
    }

    var managementPort: String {
        String(URLComponents(string: Live.managementURL!)!.port!)
    }

    @Test func badURL() async throws {
        expectOneLine(try await warren("queues", "--management", "ftp://host/"), status: 64, containing: "bad URL")
        expectOneLine(try await warren("purge", "q", "--yes", "--amqp", "nonsense://x"), status: 64, containing: "bad URL")
    }

    @Test func refusedLogin() async throws {
        expectOneLine(try await warren("queues", "--management", "http://guest:wrong@127.0.0.1:\(managementPort)/"),
                      status: 77, containing: "login refused")
        expectOneLine(try await warren("purge", "q", "--yes", "--amqp", "amqp://guest:wrong@127.0.0.1:\(amqpPort)/"),
                      status: 77, containing: "login refused")
    }

    @Test func unreachableBroker() async throws {
        expectOneLine(try await warren("queues", "--management", "http://127.0.0.1:1/"), status: 69, containing: "unreachable")
        expectOneLine(try await warren("peek", "q", "--force", "--amqp", "amqp://127.0.0.1:1/"), status: 69,
                      containing: "unreachable")
    }

    @Test func missingQueue() async throws {
        expectOneLine(try await warren("peek", "no-such-queue", "--amqp", Live.amqpURL!, "--management", Live.managementURL!),
                      status: 66, containing: "no queue 'no-such-queue'")
        expectOneLine(try await warren("replay", "no-such-queue", "--amqp", Live.amqpURL!), status: 66,
                      containing: "no queue 'no-such-queue'")
    }

    @Test func queuesAsJSON() async throws {
        let result = try await warren("queues", "--json", "--management", Live.managementURL!)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) is [Any])
        let nodes = try await warren("nodes", "--management", Live.managementURL!)
        #expect(nodes.status == 0 && nodes.stdout.contains("RUNNING"), "\(nodes.stderr)")
    }

    /// publish (preview, routed, unroutable), export and import through the binary, as a script would.
    @Test func publishExportAndImport() async throws {
        let (source, copy) = (Live.unique("cli-export"), Live.unique("cli-import"))
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(source)
            _ = try await channel.queueDeclare(copy)
        }
        let broker = ["--amqp", Live.amqpURL!, "--management", Live.managementURL!]
        let preview = try await Live.run(Live.warrenBinary, ["publish", "-k", source, "--body", "x", "--preview"] + broker,
                                         clearing: Self.urlVariables)
        #expect(preview.status == 0 && preview.stdout.contains("would reach 1 queue: \(source)"), "\(preview)")
        #expect(try await Live.depth(source) == 0, "--preview publishes nothing")
        for id in 0..<3 {
            let sent = try await Live.run(Live.warrenBinary, ["publish", "-k", source, "--body", "{\"id\":\(id)}",
                                                              "-p", "content_type=application/json", "-p", "delivery_mode=2",
                                                              "-H", "attempt:int=\(id)", "-H", "tenant=eu"] + broker,
                                          clearing: Self.urlVariables)
            #expect(sent.status == 0 && sent.stdout.contains("confirmed and routed"), "\(sent)")
        }
        let lost = try await Live.run(Live.warrenBinary, ["publish", "-k", source + ".nowhere", "--body", "x"] + broker,
                                      clearing: Self.urlVariables)
        #expect(lost.status == 3 && lost.stdout.contains("would reach no queue") && lost.stdout.contains("unroutable"),
                "\(lost)")
        let badHeader = try await warren("publish", "-k", source, "--body", "x", "-H", "n:int=many", "--amqp", Live.amqpURL!)
        #expect(badHeader.status == 64 && badHeader.stderr.contains("'many' is not a valid int"), "\(badHeader)")

        let file = NSTemporaryDirectory() + "\(source).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let exported = try await Live.run(Live.warrenBinary, ["export", source, "--to", file] + broker,
                                          clearing: Self.urlVariables)
        #expect(exported.status == 0 && exported.stdout.contains("exported 3 messages"), "\(exported)")
        #expect(exported.stderr.contains("redelivered"), "the peek says what it did: \(exported.stderr)")
        #expect(try await Live.depth(source) == 3)
        let imported = try await Live.run(Live.warrenBinary, ["import", file, "--to", "queue:\(copy)"] + broker,
                                          clearing: Self.urlVariables)
        #expect(imported.status == 0 && imported.stdout.contains("3 of 3 published"), "\(imported)")
        let messages = try await Live.drain(copy)
        #expect(messages.map(\.bodyString) == (0..<3).map { "{\"id\":\($0)}" })
        #expect(messages.map { $0.properties.headers?["attempt"] } == (0..<3).map { .int32(Int32($0)) })
        #expect(messages.allSatisfy { $0.properties.deliveryMode == 2 && $0.properties.contentType == "application/json" })
        try await Live.withChannel { channel in
            _ = try await channel.queueDelete(source)
            _ = try await channel.queueDelete(copy)
        }
    }
}
