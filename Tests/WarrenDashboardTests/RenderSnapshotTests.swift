import Foundation
import Testing
import WarrenDashboard
import WarrenMonitor

/// Every pane and view at 80x24 and 160x48, as text snapshots in __Snapshots__.
@Suite struct RenderSnapshotTests {
    static let sizes = [(80, 24), (160, 48)]

    func render(_ name: String, _ prepare: (inout ViewState) throws -> Void) throws {
        for (width, height) in Self.sizes {
            var state = try sampleState(width: width, height: height)
            try prepare(&state)
            let grid = Dashboard.render(state, theme: .default, width: width, height: height)
            try assertSnapshot(grid, named: "\(name).\(width)x\(height)")
        }
    }

    @Test func dashboard() throws { try render("dashboard") { _ in } }

    @Test func causes() throws { try render("causes-orders-dlq") { $0.screen = .causes(QueueID(name: "orders.dlq")) } }

    @Test func filteredMessages() throws {
        try render("queue-orders-dlq-filtered") { state in
            let dlq = QueueID(name: "orders.dlq")
            state.screen = .queue(dlq)
            state.applyMessageFilter("!reason=expired", to: dlq)
        }
    }

    @Test(arguments: Pane.allCases)
    func zoomedPane(_ pane: Pane) throws {
        try render("pane-\(pane.rawValue)") { state in
            state.press(.character(":"))
            state.type(pane.rawValue)
            state.press(.enter, .character("z"))
        }
    }

    @Test func sortedByReadyDescending() throws {
        try render("queues-sorted-ready") { state in
            state.press(.character(">"), .character(">"), .character(">"))
        }
    }

    @Test func filtered() throws {
        try render("queues-filtered") { state in
            state.press(.character("/"))
            state.type("order")
        }
    }

    @Test func queueDrillIn() throws {
        try render("queue-orders-dlq") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .enter)
        }
    }

    @Test func quorumQueueDrillIn() throws {
        try render("queue-payments") { state in
            state.press(.character("/"))
            state.type("payments")
            state.press(.enter, .enter)
        }
    }

    @Test(arguments: BodyMode.allCases)
    func messageViewer(_ mode: BodyMode) throws {
        try render("message-json-\(mode.rawValue)") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .enter, .enter)
            while state.bodyMode != mode { state.press(.character("b")) }
        }
    }

    @Test func binaryMessage() throws {
        try render("message-binary") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .enter, .character("G"), .enter)
        }
    }

    @Test func help() throws { try render("help") { state in state.press(.character("?")) } }

    @Test func replayPlan() throws {
        try render("replay-plan") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .character("r"))
            var plan = ReplayProgress(lengthAtStart: 42)
            plan.seen = 42
            plan.perTarget = ["queue:orders": 40]
            plan.skipped = 2
            plan.skipReasons = ["no x-death header": 2]
            _ = state.handle(.replay(.finished(try makeReport(plan, dryRun: true))))
        }
    }

    @Test func replayProgress() throws {
        try render("replay-progress") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .character("r"))
            _ = state.handle(.replay(.finished(try makeReport(ReplayProgress(lengthAtStart: 42), dryRun: true))))
            state.press(.enter)
            var progress = ReplayProgress(lengthAtStart: 42)
            progress.seen = 21
            progress.moved = 20
            progress.skipped = 1
            progress.rate = 10
            _ = state.handle(.task(1, .progress(progress)))
        }
    }

    /// The finished dialog says why the replay stopped in words, not the report's raw value.
    @Test func replayFinished() throws {
        try render("replay-finished") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .character("r"))
            var plan = ReplayProgress(lengthAtStart: 42)
            plan.seen = 42
            plan.perTarget = ["queue:orders": 42]
            _ = state.handle(.replay(.finished(try makeReport(plan, dryRun: true))))
            state.press(.enter)
            var done = plan
            done.moved = 42
            _ = state.handle(.task(1, .finished(try makeReport(done, dryRun: false))))
        }
    }

    @Test func replayTasks() throws {
        try render("replay-tasks") { state in
            state.press(.character(":"))
            state.type("dlq")
            state.press(.enter, .character("r"))
            _ = state.handle(.replay(.finished(try makeReport(ReplayProgress(lengthAtStart: 42), dryRun: true))))
            state.press(.enter, .escape)
            var progress = ReplayProgress(lengthAtStart: 42)
            progress.seen = 21
            progress.moved = 20
            progress.rate = 10
            _ = state.handle(.task(1, .progress(progress)))
            state.press(.character("T"))
        }
    }

    @Test func purgeConfirmation() throws {
        try render("purge") { state in
            state.press(.character("P"))
            state.type("audit")
        }
    }

    @Test func readonlyAndStale() throws {
        try render("readonly-stale") { state in
            state.readonly = true
            _ = state.handle(.poll(state.snapshot, error: "broker unreachable: 127.0.0.1:15672: connection refused",
                                   failures: 3))
        }
    }

    @Test func waitingForFirstPoll() throws {
        for (width, height) in Self.sizes {
            let state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt)
            try assertSnapshot(Dashboard.render(state, theme: .default, width: width, height: height),
                               named: "connecting.\(width)x\(height)")
        }
    }

    @Test func tooSmall() throws {
        let state = try sampleState(width: 79, height: 23)
        try assertSnapshot(Dashboard.render(state, theme: .default, width: 79, height: 23), named: "too-small.79x23")
    }

    /// RabbitMQ 3.10.8's real management responses: β+γ reported together, quorum queues in RAM.
    @Test func realRabbitMQFixtures() throws {
        for (width, height) in Self.sizes {
            var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt)
            _ = state.handle(.snapshot(try fixtureSnapshot()))
            try assertSnapshot(Dashboard.render(state, theme: .default, width: width, height: height),
                               named: "rabbitmq-3.10.8.\(width)x\(height)")
            state.press(.character(":"))
            state.type("states")
            state.press(.enter, .character("z"))
            try assertSnapshot(Dashboard.render(state, theme: .default, width: width, height: height),
                               named: "rabbitmq-3.10.8-states.\(width)x\(height)")
        }
    }

    @Test func colorsComeFromTheTheme() throws {
        let state = try sampleState(width: 80, height: 24)
        let grid = Dashboard.render(state, theme: .default, width: 80, height: 24)
        #expect(grid.cells.contains { $0.character == "█" && $0.style.foreground == Theme.default.color(.alpha) })
        let plain = Dashboard.render(state, theme: .noColor, width: 80, height: 24)
        #expect(plain.cells.allSatisfy { $0.style.foreground == nil && $0.style.background == nil })
        #expect(plain.cells.contains { $0.style.reverse }, "without colours the selection is reversed")
    }
}
