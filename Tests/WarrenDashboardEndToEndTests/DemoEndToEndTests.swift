import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `warren` with no arguments: the demo on the embedded broker, driven by keys in tmux.
@Suite(.serialized, .disabled(if: !endToEndEnabled, "set WARREN_E2E=1 (scripts/test does)"))
struct DemoEndToEndTests {
    @Test func showsAllPanesFiltersDrillsInReplaysAndQuits() async throws {
        let tmux = try await TmuxSession(width: 160, height: 48)
        try await tmux.shell(warrenBinary)
        let first = try await tmux.waitFor("every pane with demo queues", timeout: 10) { screen in
            ["Queues", "DLQs", "Message states", "Exchanges", "Consumers", "Nodes"].allSatisfy(screen.contains)
                && screen.contains("orders.dlq") && screen.contains("warren-demo")
        }
        #expect(first.contains("READ-ONLY") == false)
        // refunds.dlq is fed by orders.refunds through the orders-dlx policy, not an argument.
        try await tmux.waitFor("the policy's DLQ with its source", timeout: 10) { screen in
            // Panes side by side meet at "││": the DLQ pane's row names the DLQ and its source.
            screen.split(separator: "\n").flatMap { $0.components(separatedBy: "││") }
                .contains { $0.contains("refunds.dlq") && $0.contains("orders.refunds") }
        }

        // `/` filters every pane.
        try await tmux.keys("/")
        try await tmux.type("orders.dlq")
        try await tmux.keys("Enter")
        try await tmux.waitFor("the filter") { screen in
            screen.contains("filter: orders.dlq") && !screen.contains("reports.backlog")
        }

        // The first poison order is dead-lettered about two seconds in.
        try await tmux.waitFor("a dead letter in orders.dlq", timeout: 15) { screen in
            guard let row = queueRow(of: screen, "orders.dlq") else { return false }
            return !row.contains("running       0 ")
        }

        // Enter drills in and peeks: the dead-lettered order is shown with its reason.
        try await tmux.keys("Enter")
        try await tmux.waitFor("Queue orders.dlq")
        try await tmux.waitFor("a peeked message", timeout: 10) { $0.contains("✝rejected") && $0.contains("\"order\"") }

        // Enter on the message opens the viewer, with x-death as a table.
        try await tmux.keys("Enter")
        try await tmux.waitFor("the message viewer") { $0.contains("x-death") && $0.contains("rejected") }
        try await tmux.keys("Escape")

        // r plans, Enter replays; the DLQ's depth on screen goes to 0.
        try await tmux.keys("r")
        try await tmux.waitFor("Enter: replay", timeout: 10)
        try await tmux.keys("Enter")
        try await tmux.waitFor("Done", timeout: 15)
        try await tmux.keys("Escape")
        try await tmux.waitFor("orders.dlq at depth 0", timeout: 10) { screen in
            screen.contains("messages  0 = ready 0")
        }

        try await tmux.keys("Escape", "q")
        let after = try await tmux.waitFor("WARREN-EXIT=0", timeout: 5)
        #expect(!after.contains("Message states"), "the terminal is restored")
    }

    @Test func noUIPrintsTheURLsAndStopsOnInterrupt() async throws {
        let tmux = try await TmuxSession(width: 160, height: 20)
        try await tmux.shell("\(warrenBinary) demo --no-ui")
        let screen = try await tmux.waitFor("warren demo: management on http://", timeout: 10)
        #expect(screen.contains("warren demo: AMQP on amqp://guest:guest@127.0.0.1:"))
        try await tmux.waitFor("running; Ctrl-C stops it")
        try await tmux.keys("C-c")
        try await tmux.waitFor("WARREN-EXIT=0", timeout: 5)
    }

    /// Ctrl-C and SIGTERM end the dashboard like q does: the alternate screen is left and the
    /// terminal is back in canonical mode with echo, so the shell works as before.
    @Test func ctrlCAndSigtermRestoreTheTerminal() async throws {
        let tmux = try await TmuxSession(width: 160, height: 48)
        try await tmux.shell(warrenBinary)
        try await tmux.waitFor("the dashboard", timeout: 10) { $0.contains("Message states") && $0.contains("orders.dlq") }
        try await tmux.keys("C-c")
        try await tmux.waitFor("WARREN-EXIT=0", timeout: 5)
        try await expectRestored(tmux)

        try await tmux.keys("clear", "Enter")
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("warren-e2e-\(tmux.name).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        try await tmux.shell("bash -c 'echo $$ > \(pidFile); exec \(warrenBinary)'")
        try await tmux.waitFor("the dashboard again", timeout: 10) { $0.contains("Message states") && $0.contains("orders.dlq") }
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGTERM)
        try await tmux.waitFor("WARREN-EXIT=0", timeout: 5)
        try await expectRestored(tmux)
    }

    /// Closing the terminal under the dashboard (the tmux session killed, an ssh session
    /// dropped) ends the process rather than leaving it spinning on a dead terminal.
    @Test func closingTheTerminalEndsTheDashboard() async throws {
        let tmux = try await TmuxSession(width: 160, height: 48)
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("warren-e2e-\(tmux.name).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        try await tmux.shell("bash -c 'echo $$ > \(pidFile); exec \(warrenBinary)'")
        try await tmux.waitFor("the dashboard", timeout: 10) { $0.contains("Message states") && $0.contains("orders.dlq") }
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await run(["tmux", "kill-session", "-t", tmux.name])
        var alive = true
        for _ in 0..<50 where alive {
            try await Task.sleep(for: .milliseconds(100))
            alive = kill(pid, 0) == 0
        }
        if alive { kill(pid, SIGKILL) }
        #expect(!alive, "warren exits within 5 s of its terminal going away")
    }

    private func expectRestored(_ tmux: TmuxSession) async throws {
        let alternate = try await run(["tmux", "display-message", "-p", "-t", tmux.name, "#{alternate_on}"], output: true).output
        #expect(alternate.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the alternate screen is left")
        try await tmux.shell("stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo' | tr '\\n' ' '")
        let screen = try await tmux.waitFor("stty's answer", timeout: 5) { $0.contains("icanon echo") || $0.contains("-icanon") }
        #expect(screen.contains("icanon echo"), "canonical mode and echo are back")
        #expect(!screen.contains("-icanon") && !screen.contains("-echo "))
    }

    /// The demo's backlog pages out under the demo's memory limit: the management API shows its
    /// messages in beta, gamma and then delta within a minute, and the temporary data directory
    /// is gone once the demo stops.
    @Test func theBacklogPagesOutWithinAMinute() async throws {
        let tmux = try await TmuxSession(width: 200, height: 20)
        try await tmux.shell("\(warrenBinary) demo --no-ui")
        let screen = try await tmux.waitFor("running; Ctrl-C stops it", timeout: 10)
        let management = try #require(Self.field(after: "warren demo: management on http://guest:guest@", in: screen))
        let dataDirectory = try #require(Self.field(after: "warren demo: data in ", in: screen))
        var seen: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(60)
        while !seen.isSuperset(of: ["beta", "gamma", "delta"]) && ContinuousClock.now < deadline {
            for (state, count) in await Self.states(management: management) where count > 0 { seen.insert(state) }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(seen.isSuperset(of: ["alpha", "beta", "gamma", "delta"]), "states seen: \(seen)")
        #expect(FileManager.default.fileExists(atPath: dataDirectory))
        try await tmux.keys("C-c")
        try await tmux.waitFor("WARREN-EXIT=0", timeout: 5)
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
        request.timeoutInterval = 5
        guard let (data, _) = try? await URLSession.shared.data(for: request),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let status = object["backing_queue_status"] as? [String: Any],
              let states = status["message_states"] as? [String: Int]
        else { return [:] }
        return states
    }
}
