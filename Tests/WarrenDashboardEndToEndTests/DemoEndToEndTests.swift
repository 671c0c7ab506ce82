import Foundation
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
}
