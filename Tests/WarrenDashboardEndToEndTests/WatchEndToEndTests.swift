import Foundation
import Testing

/// `warren watch` against the RabbitMQ node scripts/test starts.
@Suite(.serialized, .disabled(if: !endToEndEnabled, "set WARREN_E2E=1 (scripts/test does)"))
struct WatchEndToEndTests {
    let management = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_MANAGEMENT_URL"] ?? ""
    let amqp = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"] ?? ""

    /// Declares a queue and publishes one message through the management API.
    func prepare(_ queue: String, body: String) async throws {
        #expect(!management.isEmpty && !amqp.isEmpty, "WARREN_RABBITMQ_MANAGEMENT_URL and WARREN_RABBITMQ_URL")
        let base = management.hasSuffix("/") ? management : management + "/"
        let declared = try await run(["curl", "-sf", "-X", "PUT", "-H", "content-type: application/json", "-d",
                                #"{"durable":false,"auto_delete":false}"#, base + "api/queues/%2F/\(queue)"])
        #expect(declared.status == 0, "declare \(queue)")
        let published = try await run(["curl", "-sf", "-X", "POST", "-H", "content-type: application/json", "-d",
                                 #"{"properties":{},"routing_key":"\#(queue)","payload":"\#(body)","payload_encoding":"string"}"#,
                                 base + "api/exchanges/%2F/amq.default/publish"], output: true)
        #expect(published.output.contains("\"routed\":true"), "publish to \(queue)")
    }

    func cleanUp(_ queue: String) {
        let base = management.hasSuffix("/") ? management : management + "/"
        _ = try? runBlocking(["curl", "-sf", "-X", "DELETE", base + "api/queues/%2F/\(queue)"])
    }

    @Test func showsQueuesFiltersDrillsInAndQuits() async throws {
        let queue = "e2e-watch-\(UUID().uuidString.prefix(6).lowercased())"
        try await prepare(queue, body: "hello-from-e2e")
        defer { cleanUp(queue) }
        let tmux = try await TmuxSession()
        try await tmux.shell("\(warrenBinary) watch --management '\(management)' --amqp '\(amqp)' --refresh 1")
        let screen = try await tmux.waitFor("RabbitMQ in the header", timeout: 20) {
            $0.contains("RabbitMQ") && $0.contains("● live")
        }
        #expect(screen.contains("Queues") && screen.contains("Exchanges") && screen.contains("Nodes"))

        // Filtered first: on a node with many queues this one need not be on the first page.
        try await tmux.keys("/")
        try await tmux.type(queue)
        try await tmux.keys("Enter")
        let filtered = try await tmux.waitFor("filter applied") {
            // The filter line names it once; its row in the Queues pane is the second.
            $0.contains("filter: \(queue)") && $0.components(separatedBy: queue).count > 2
        }
        #expect(!filtered.contains("amq.fanout"), "the filter applies to every pane")

        try await tmux.keys("Enter")
        try await tmux.waitFor("Queue \(queue)")
        try await tmux.waitFor("hello-from-e2e", timeout: 15)

        try await tmux.keys("q")
        let after = try await tmux.waitFor("WARREN-EXIT=0")
        #expect(!after.contains("Queues"), "the dashboard is gone from the screen")
    }

    @Test func readonlyShowsInTheHeaderAndRefusesPurge() async throws {
        let tmux = try await TmuxSession(width: 100, height: 30)
        try await tmux.shell("\(warrenBinary) watch --management '\(management)' --readonly")
        try await tmux.waitFor("READ-ONLY", timeout: 20)
        try await tmux.keys("P")
        try await tmux.waitFor("purge is disabled")
        try await tmux.keys("C-c")
        try await tmux.waitFor("WARREN-EXIT=0")
    }

    @Test func smallTerminalsGetAClearMessage() async throws {
        let tmux = try await TmuxSession(width: 60, height: 20)
        try await tmux.shell("\(warrenBinary) watch --management '\(management)'")
        try await tmux.waitFor("at least 80×24")
        try await tmux.keys("q")
        try await tmux.waitFor("WARREN-EXIT=0")
    }
}
