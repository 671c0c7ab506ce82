import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `warren` with no arguments: the demo on the embedded broker, driven by keys in tmux.
@Suite(.serialized, .disabled(if: !endToEndEnabled, "set WARREN_E2E=1 (scripts/test does)"))
struct DemoEndToEndTests {
    @Test func showsAllPanesFiltersDrillsInReplaysAndQuits() throws {
        let tmux = try TmuxSession(width: 160, height: 48)
        try tmux.shell(warrenBinary)
        let first = try tmux.waitFor("every pane with demo queues", timeout: 10) { screen in
            ["Queues", "DLQs", "Message states", "Exchanges", "Consumers", "Nodes"].allSatisfy(screen.contains)
                && screen.contains("orders.dlq") && screen.contains("warren-demo")
        }
        #expect(first.contains("READ-ONLY") == false)

        // `/` filters every pane.
        try tmux.keys("/")
        try tmux.type("orders.dlq")
        try tmux.keys("Enter")
        try tmux.waitFor("the filter") { screen in
            screen.contains("filter: orders.dlq") && !screen.contains("reports.backlog")
        }

        // The first poison order is dead-lettered about two seconds in.
        try tmux.waitFor("a dead letter in orders.dlq", timeout: 15) { screen in
            guard let row = queueRow(of: screen, "orders.dlq") else { return false }
            return !row.contains("running       0 ")
        }

        // Enter drills in and peeks: the dead-lettered order is shown with its reason.
        try tmux.keys("Enter")
        try tmux.waitFor("Queue orders.dlq")
        try tmux.waitFor("a peeked message", timeout: 10) { $0.contains("✝rejected") && $0.contains("\"order\"") }

        // Enter on the message opens the viewer, with x-death as a table.
        try tmux.keys("Enter")
        try tmux.waitFor("the message viewer") { $0.contains("x-death") && $0.contains("rejected") }
        try tmux.keys("Escape")

        // r plans, Enter replays; the DLQ's depth on screen goes to 0.
        try tmux.keys("r")
        try tmux.waitFor("Enter: replay", timeout: 10)
        try tmux.keys("Enter")
        try tmux.waitFor("Done", timeout: 15)
        try tmux.keys("Escape")
        try tmux.waitFor("orders.dlq at depth 0", timeout: 10) { screen in
            screen.contains("messages  0 = ready 0")
        }

        try tmux.keys("Escape", "q")
        let after = try tmux.waitFor("WARREN-EXIT=0", timeout: 5)
        #expect(!after.contains("Message states"), "the terminal is restored")
    }

    @Test func noUIPrintsTheURLsAndStopsOnInterrupt() throws {
        let tmux = try TmuxSession(width: 160, height: 20)
        try tmux.shell("\(warrenBinary) demo --no-ui")
        let screen = try tmux.waitFor("warren demo: management on http://", timeout: 10)
        #expect(screen.contains("warren demo: AMQP on amqp://guest:guest@127.0.0.1:"))
        try tmux.waitFor("running; Ctrl-C stops it")
        try tmux.keys("C-c")
        try tmux.waitFor("WARREN-EXIT=0", timeout: 5)
    }

    /// The demo's backlog pages out under the demo's memory limit: the management API shows its
    /// messages in beta, gamma and then delta within a minute, and the temporary data directory
    /// is gone once the demo stops.
    @Test func theBacklogPagesOutWithinAMinute() async throws {
        let tmux = try TmuxSession(width: 200, height: 20)
        try tmux.shell("\(warrenBinary) demo --no-ui")
        let screen = try tmux.waitFor("running; Ctrl-C stops it", timeout: 10)
        let management = try #require(Self.field(after: "warren demo: management on http://guest:guest@", in: screen))
        let dataDirectory = try #require(Self.field(after: "warren demo: data in ", in: screen))
        var seen: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(75)
        while !seen.isSuperset(of: ["beta", "gamma", "delta"]) && ContinuousClock.now < deadline {
            for (state, count) in await Self.states(management: management) where count > 0 { seen.insert(state) }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(seen.isSuperset(of: ["alpha", "beta", "gamma", "delta"]), "states seen: \(seen)")
        #expect(FileManager.default.fileExists(atPath: dataDirectory))
        try tmux.keys("C-c")
        try tmux.waitFor("WARREN-EXIT=0", timeout: 5)
        #expect(!FileManager.default.fileExists(atPath: dataDirectory), "\(dataDirectory) is removed")
    }

    /// The word after `prefix` on the screen (up to a space, without a trailing slash).
    static func field(after prefix: String, in screen: String) -> String? {
        guard let range = screen.range(of: prefix) else { return nil }
        let word = screen[range.upperBound...].prefix { !$0.isWhitespace }
        return word.hasSuffix("/") ? String(word.dropLast()) : String(word)
    }

    /// reports.backlog's message_states from the management API at `hostPort`.
    static func states(management hostPort: String) async -> [String: Int] {
        var request = URLRequest(url: URL(string: "http://\(hostPort)/api/queues/%2F/reports.backlog")!)
        request.setValue("Basic " + Data("guest:guest".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        guard let (data, _) = try? await URLSession.shared.data(for: request),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let status = object["backing_queue_status"] as? [String: Any],
              let states = status["message_states"] as? [String: Int]
        else { return [:] }
        return states
    }
}
