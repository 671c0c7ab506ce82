import Foundation
import Testing

/// `warren watch` against the RabbitMQ node scripts/test starts.
@Suite(.serialized, .disabled(if: !endToEndEnabled, "set WARREN_E2E=1 (scripts/test does)"))
struct WatchEndToEndTests {
    let management = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_MANAGEMENT_URL"] ?? ""
    let amqp = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"] ?? ""

    /// Declares a queue and publishes one message through the management API.
    func prepare(_ queue: String, body: String) throws {
        #expect(!management.isEmpty && !amqp.isEmpty, "WARREN_RABBITMQ_MANAGEMENT_URL and WARREN_RABBITMQ_URL")
        let base = management.hasSuffix("/") ? management : management + "/"
        let declared = try run(["curl", "-sf", "-X", "PUT", "-H", "content-type: application/json", "-d",
                                #"{"durable":false,"auto_delete":false}"#, base + "api/queues/%2F/\(queue)"])
        #expect(declared.status == 0, "declare \(queue)")
        let published = try run(["curl", "-sf", "-X", "POST", "-H", "content-type: application/json", "-d",
                                 #"{"properties":{},"routing_key":"\#(queue)","payload":"\#(body)","payload_encoding":"string"}"#,
                                 base + "api/exchanges/%2F/amq.default/publish"], output: true)
        #expect(published.output.contains("\"routed\":true"), "publish to \(queue)")
    }

    func cleanUp(_ queue: String) {
        let base = management.hasSuffix("/") ? management : management + "/"
        _ = try? run(["curl", "-sf", "-X", "DELETE", base + "api/queues/%2F/\(queue)"])
    }

    @Test func showsQueuesFiltersDrillsInAndQuits() throws {
        let queue = "e2e-watch-\(UUID().uuidString.prefix(6).lowercased())"
        try prepare(queue, body: "hello-from-e2e")
        defer { cleanUp(queue) }
        let tmux = try TmuxSession()
        try tmux.shell("\(warrenBinary) watch --management '\(management)' --amqp '\(amqp)' --refresh 1")
        try tmux.waitFor(queue, timeout: 20)
        let screen = try tmux.waitFor("RabbitMQ in the header") { $0.contains("RabbitMQ") && $0.contains("● live") }
        #expect(screen.contains("Queues") && screen.contains("Exchanges") && screen.contains("Nodes"))

        try tmux.keys("/")
        try tmux.type(queue)
        try tmux.keys("Enter")
        let filtered = try tmux.waitFor("filter applied") { $0.contains("filter: \(queue)") }
        #expect(!filtered.contains("amq.fanout"), "the filter applies to every pane")

        try tmux.keys("Enter")
        try tmux.waitFor("Queue \(queue)")
        try tmux.waitFor("hello-from-e2e", timeout: 15)

        try tmux.keys("q")
        let after = try tmux.waitFor("WARREN-EXIT=0")
        #expect(!after.contains("Queues"), "the dashboard is gone from the screen")
    }

    @Test func readonlyShowsInTheHeaderAndRefusesPurge() throws {
        let tmux = try TmuxSession(width: 100, height: 30)
        try tmux.shell("\(warrenBinary) watch --management '\(management)' --readonly")
        try tmux.waitFor("READ-ONLY", timeout: 20)
        try tmux.keys("P")
        try tmux.waitFor("purge is disabled")
        try tmux.keys("C-c")
        try tmux.waitFor("WARREN-EXIT=0")
    }

    @Test func smallTerminalsGetAClearMessage() throws {
        let tmux = try TmuxSession(width: 60, height: 20)
        try tmux.shell("\(warrenBinary) watch --management '\(management)'")
        try tmux.waitFor("at least 80×24")
        try tmux.keys("q")
        try tmux.waitFor("WARREN-EXIT=0")
    }
}
