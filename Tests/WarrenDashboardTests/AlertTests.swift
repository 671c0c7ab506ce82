import Foundation
import Testing
import WarrenDashboard
import WarrenMonitor

/// The config file's `[alerts]`, and alerts in the dashboard: the header's count, highlighted rows, the bell.
@Suite struct DashboardAlertTests {
    @Test func alertsSection() {
        let (config, warnings) = Config.parse("""
            theme = light
            [alerts]
            dlq_depth = 100
            dlq_growth = 60   # a minute
            ready = 10000
            no_consumers = yes
            node_alarms = false
            bell = true
            depth = 3
            ready = many
            [broker prod]
            management = http://127.0.0.1:15672/
            """, origin: "config")
        #expect(config.alerts == AlertThresholds(dlqDepth: 100, dlqGrowthPerMinute: 60, ready: 10000, noConsumers: true,
                                                 nodeAlarms: false))
        #expect(config.bell)
        #expect(config.theme == "light" && config.broker("prod")?.management == "http://127.0.0.1:15672/")
        #expect(warnings == ["config:9: unknown alerts key 'depth'",
                             "config:10: alerts key 'ready' wants a whole number, got 'many'"])
        #expect(Config.parse("theme = dark").0.alerts == AlertThresholds(), "node alarms only, by default")
    }

    func state(_ thresholds: AlertThresholds?, bell: Bool = false, width: Int = 160, height: Int = 48) -> ViewState {
        var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt.addingTimeInterval(2))
        state.alertThresholds = thresholds
        state.bell = bell
        return state
    }

    @Test func pollEvaluatesAndRingsOnlyForNewAlerts() {
        var quiet = state(AlertThresholds(dlqDepth: 40, ready: 5000))
        #expect(quiet.handle(.snapshot(SampleSnapshot.make())) == [], "no bell unless configured")
        // The sample's node-2 has a memory alarm.
        #expect(quiet.alerts.map(\.kind) == [.nodeAlarm, .dlqDepth, .ready])
        #expect(quiet.alertedQueues == [QueueID(name: "orders.dlq"), QueueID(name: "reports.backlog")])

        var ringing = state(AlertThresholds(dlqDepth: 40), bell: true)
        let first = SampleSnapshot.make()
        #expect(ringing.handle(.snapshot(first)) == [.bell])
        let second = Snapshot(state: BrokerState(queues: first.queues, exchanges: first.exchanges, bindings: first.bindings),
                              source: first.source, takenAt: first.takenAt.addingTimeInterval(5), previous: first)
        #expect(ringing.handle(.snapshot(second)) == [], "the same alert again rings no more")
        #expect(ringing.alerts.count == 1)
    }

    @Test func headerCountAndHighlightedRows() throws {
        var alerting = state(AlertThresholds(dlqDepth: 40, ready: 5000))
        _ = alerting.handle(.snapshot(SampleSnapshot.make()))
        let grid = Dashboard.render(alerting, theme: .default, width: 160, height: 48)
        try assertSnapshot(grid, named: "dashboard-alerts.160x48")
        let lines = grid.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[2].contains("alerts 3"), "\(lines[2])")
        // The colour of the first cell of every place the name is drawn (the queue pane's row among them).
        func colours(_ name: String) -> [RGB?] {
            lines.enumerated().compactMap { y, line in
                line.range(of: name).map { grid[line.distance(from: line.startIndex, to: $0.lowerBound), y].style.foreground }
            }
        }
        let alarm = Theme.default.color(.alarm)
        #expect(colours("reports.backlog").contains(alarm))
        #expect(!colours("emails").isEmpty && !colours("emails").contains(alarm))

        let without = state(nil)
        var plain = without
        _ = plain.handle(.snapshot(SampleSnapshot.make()))
        #expect(plain.alerts.isEmpty)
        let header = Dashboard.render(plain, theme: .default, width: 160, height: 48).text
        #expect(!header.contains("alerts "), "no count without thresholds")
    }
}
