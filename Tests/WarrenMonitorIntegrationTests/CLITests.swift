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
        #expect(nodes.status == 0 && nodes.stdout.contains("RUNNING"))
    }
}
