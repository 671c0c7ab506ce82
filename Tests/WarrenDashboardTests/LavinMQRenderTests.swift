import Foundation
import Testing
import WarrenDashboard
import WarrenMonitor

/// LavinMQ 1.0.1's real management responses on every pane, as text snapshots beside RabbitMQ
/// 3.10.8's (RenderSnapshotTests.realRabbitMQFixtures), and what each must say.
@Suite struct LavinMQRenderTests {
    static let folder = "lavinmq-1.0.1"

    func lavinState(width: Int, height: Int) throws -> ViewState {
        var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt)
        _ = state.handle(.snapshot(try fixtureSnapshot(folder: Self.folder)))
        return state
    }

    func text(_ state: ViewState) -> String {
        Dashboard.render(state, theme: .default, width: state.width, height: state.height).text
    }

    @Test func everyPaneAtBothSizes() throws {
        for (width, height) in RenderSnapshotTests.sizes {
            let state = try lavinState(width: width, height: height)
            try assertSnapshot(Dashboard.render(state, theme: .default, width: width, height: height),
                               named: "lavinmq-1.0.1.\(width)x\(height)")
            for pane in Pane.allCases {
                var zoomed = state
                zoomed.press(.character(":"))
                zoomed.type(pane.rawValue)
                zoomed.press(.enter, .character("z"))
                try assertSnapshot(Dashboard.render(zoomed, theme: .default, width: width, height: height),
                                   named: "lavinmq-1.0.1-\(pane.rawValue).\(width)x\(height)")
            }
        }
    }

    @Test func theHeaderNamesTheBroker() throws {
        let header = try #require(text(try lavinState(width: 160, height: 48)).split(separator: "\n").first)
        #expect(header.contains("Warren ▸ vm  LavinMQ 1.0.1"))
    }

    @Test func readyAndUnackedAreShown() throws {
        var state = try lavinState(width: 160, height: 48)
        state.press(.character(":"))
        state.type("queues")
        state.press(.enter, .character("z"))
        let line = try #require(text(state).split(separator: "\n").first { $0.contains("lv.orders") })
        let cells = line.split(separator: " ").map(String.init)
        #expect(cells.contains("40") && cells.contains("10"), "\(line)")
        #expect(!cells.contains("-"), "nothing LavinMQ reports shows as a dash: \(line)")
    }

    @Test func theStatesPaneSaysWhyThereAreNone() throws {
        var state = try lavinState(width: 160, height: 48)
        state.press(.character(":"))
        state.type("states")
        state.press(.enter, .character("z"))
        let screen = text(state)
        #expect(screen.contains("No α/β/γ/δ: LavinMQ keeps every message in memory-mapped segment files"))
        #expect(screen.contains("ready 2.5M  unacked 740B  persistent 58671 messages"))
        #expect(!screen.contains("not reported"))
        #expect(screen.split(separator: "\n").contains { $0.contains("lv.orders") && $0.contains("mmap 2.9K/740B") })
    }

    @Test func theDrillInShowsWhatOnlyLavinMQReports() throws {
        for (width, height) in RenderSnapshotTests.sizes {
            var state = try lavinState(width: width, height: height)
            state.screen = .queue(QueueID(name: "lv.orders"))
            let screen = text(state)
            #expect(screen.contains("messages  50 = ready 40 + unacked 10"))
            #expect(screen.contains("memory-mapped"))
            #expect(screen.contains("2.9K") && screen.contains("740B") && screen.contains("50 messages"))
            #expect(!screen.contains("node "), "LavinMQ names no queue node: the line is left out")
            try assertSnapshot(Dashboard.render(state, theme: .default, width: width, height: height),
                               named: "lavinmq-1.0.1-queue-lv.orders.\(width)x\(height)")
        }
    }

    @Test func peekNoteNamesLavinMQ() throws {
        var state = try lavinState(width: 160, height: 48)
        let dlq = QueueID(name: "lv.dlq")
        state.screen = .queue(dlq)
        let message = MessageView(index: 1, fetched: try JSON.parse(Data(#"""
            {"payload_bytes": 7, "redelivered": true, "exchange": "lv.dlx", "routing_key": "lv.work",
             "properties": {"headers": {"x-first-death-reason": "rejected", "x-first-death-queue": "lv.work",
             "x-death": [{"queue": "lv.work", "reason": "rejected", "exchange": "", "count": 1,
             "routing-keys": ["lv.work"]}]}, "delivery_mode": 2}, "payload": "{\"n\":0}", "payload_encoding": "string"}
            """#.utf8)))
        let note = Peek.requeueNote(BrokerIdentity(serverProduct: "LavinMQ", version: "1.0.1"))
        _ = state.handle(.peeked(dlq, .success(PeekResult(queue: "lv.dlq", messages: [message], warnings: [note]))))
        let screen = text(state)
        #expect(screen.contains("note: LavinMQ now marks the peeked messages redelivered"))
        #expect(screen.contains("lv.work") && screen.contains("✝rejected"))
    }
}
