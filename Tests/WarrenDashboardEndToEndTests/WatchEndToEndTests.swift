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

    /// An $EDITOR that is a script: it edits the file it is given as `sed` would, and exits.
    func scriptedEditor(_ sedProgram: String) throws -> String {
        let path = NSTemporaryDirectory() + "warren-e2e-editor-\(UUID().uuidString.prefix(6)).sh"
        try "#!/bin/sh\nexec sed -i -E '\(sedProgram)' \"$1\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// Messages waiting in a queue, by the management API (requeued).
    func bodies(_ queue: String) async throws -> String {
        let base = management.hasSuffix("/") ? management : management + "/"
        return try await run(["curl", "-sf", "-X", "POST", "-H", "content-type: application/json", "-d",
                              #"{"count":10,"ackmode":"ack_requeue_true","encoding":"auto"}"#,
                              base + "api/queues/%2F/\(queue)/get"], output: true).output
    }

    @Test func editAndResendThroughTheEditorThenPublishANewOne() async throws {
        let queue = "e2e-edit-\(UUID().uuidString.prefix(6).lowercased())"
        try await prepare(queue, body: "state-broken")
        defer { cleanUp(queue) }
        let editor = try scriptedEditor("s/state-broken/state-fixed/; s/\"routing_key\" ?: ?\"\"/\"routing_key\": \"\(queue)\"/; "
            + "s/\"body\" ?: ?\"\\{\\}\"/\"body\": \"brand-new\"/")
        defer { try? FileManager.default.removeItem(atPath: editor) }
        let tmux = try await TmuxSession()
        try await tmux.shell("EDITOR=\(editor) \(warrenBinary) watch --management '\(management)' --amqp '\(amqp)' --refresh 1")
        try await tmux.waitFor("RabbitMQ in the header", timeout: 20) { $0.contains("RabbitMQ") && $0.contains("● live") }
        try await tmux.keys("/")
        try await tmux.type(queue)
        try await tmux.keys("Enter")
        try await tmux.waitFor("the queue's row") { $0.components(separatedBy: queue).count > 2 }
        try await tmux.keys("Enter")
        try await tmux.waitFor("state-broken", timeout: 15)
        try await tmux.keys("Enter")
        try await tmux.waitFor("Message 1 of")
        try await tmux.keys("e")
        let dialog = try await tmux.waitFor("Resend the edited message", timeout: 15)
        #expect(dialog.contains("would reach: \(queue)"), "the route preview: \(dialog)")
        try await tmux.keys("Enter")
        try await tmux.waitFor("resent to exchange '(default)' key '\(queue)'", timeout: 15)
        let resent = try await bodies(queue)
        #expect(resent.contains("state-fixed") && !resent.contains("state-broken"), "\(resent)")

        try await tmux.keys("n")
        let compose = try await tmux.waitFor("Publish a new message", timeout: 15)
        #expect(compose.contains("would reach: \(queue)"), "\(compose)")
        try await tmux.keys("Enter")
        try await tmux.waitFor("published to exchange '(default)' key '\(queue)': confirmed and routed", timeout: 15)
        #expect(try await bodies(queue).contains("brand-new"))
        try await tmux.keys("q")
        try await tmux.waitFor("WARREN-EXIT=0")
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
