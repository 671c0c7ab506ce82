import Foundation
import WarrenMonitor

/// The pure render: (view state with its Snapshot, theme, size) to a grid of cells.
public enum Dashboard {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    /// Renders the whole screen. Deterministic: the clock is `state.now`.
    public static func render(_ state: ViewState, theme: Theme, width: Int, height: Int) -> Grid {
        var grid = Grid(width: width, height: height, fill: Cell(" ", theme.base))
        guard width >= minimumWidth, height >= minimumHeight else {
            tooSmall(&grid, theme: theme)
            return grid
        }
        var painter = Painter(grid: grid, theme: theme, state: state)
        let (header, rest) = Rect(x: 0, y: 0, width: width, height: height).splitTop(3)
        let (body, footer) = rest.splitTop(rest.height - 1)
        painter.header(header)
        switch state.screen {
        case .dashboard: painter.panes(body)
        case .queue(let queue): painter.queueView(queue, in: body)
        case .message(let queue, let index): painter.messageView(queue, index: index, in: body)
        case .causes(let queue): painter.causesView(queue, in: body)
        }
        painter.footer(footer)
        if case .purge(let queue, let typed) = state.input { painter.purgeDialog(queue, typed: typed, over: body) }
        if case .save(let queue, let count, let path) = state.input {
            painter.saveDialog(queue, count: count, path: path, over: body)
        }
        if let replay = state.replay { painter.replayDialog(replay, over: body) }
        if let compose = state.compose { painter.composeDialog(compose, over: body) }
        if state.showTasks { painter.tasksDialog(over: body) }
        if state.showHelp { painter.help(over: body) }
        return painter.grid
    }

    private static func tooSmall(_ grid: inout Grid, theme: Theme) {
        let lines = ["Warren needs a terminal of at least \(minimumWidth)×\(minimumHeight);",
                     "this one is \(grid.width)×\(grid.height).", "Make it larger, or press q to quit."]
        let top = max(0, grid.height / 2 - 1)
        for (offset, line) in lines.enumerated() {
            let x = max(0, (grid.width - line.count) / 2)
            grid.put(line, x: x, y: top + offset, style: offset == 0 ? theme.heading : theme.base)
        }
    }
}

/// Draws into a grid; one method per part of the screen.
struct Painter {
    var grid: Grid
    let theme: Theme
    let state: ViewState

    var snapshot: Snapshot? { state.snapshot }

    // MARK: header

    mutating func header(_ rect: Rect) {
        let style = theme.header
        grid.fill(rect, style: style)
        var x = 1
        func part(_ text: String, _ key: ThemeKey? = nil, bold: Bool = false, row: Int) {
            var s = style
            if let key { s.foreground = theme.color(key) }
            s.bold = bold
            x += grid.put(text, x: x, y: rect.y + row, style: s, maxWidth: rect.maxX - x)
        }
        let overview = snapshot?.overview
        let name = overview?.clusterName ?? overview?.node ?? snapshot?.source ?? state.sourceName ?? "connecting…"
        part("Warren", .title, bold: true, row: 0)
        part(" ▸ \(name)", bold: true, row: 0)
        if let broker = overview?.broker { part("  \(broker)", .inactiveForeground, row: 0) }
        if let cluster = snapshot?.cluster, !cluster.nodes.isEmpty {
            part("  nodes ", row: 0)
            part("\(cluster.runningNodes.count)↑", .ok, row: 0)
            part(" \(cluster.stoppedNodes.count)↓", cluster.stoppedNodes.isEmpty ? .inactiveForeground : .alarm, row: 0)
        }
        part("  ", row: 0)
        if state.connection.error != nil {
            part("● stale", .alarm, bold: true, row: 0)
        } else if snapshot != nil {
            part("● live", .ok, row: 0)
        } else {
            part("○ connecting", .warning, row: 0)
        }
        if let taken = state.connection.lastSnapshotAt {
            part(" \(Format.duration(state.now.timeIntervalSince(taken))) ago", .inactiveForeground, row: 0)
        }
        if let duration = state.connection.pollDuration, duration >= 0.05 {
            let requests = snapshot.map { " (\($0.poll.requests) requests)" } ?? ""
            part(" · poll \(Format.seconds(duration))\(requests)", .inactiveForeground, row: 0)
        }
        if let poll = snapshot?.poll, poll.planned, let at = poll.inventoryAt {
            part(" · list \(Format.duration(state.now.timeIntervalSince(at))) old", .inactiveForeground, row: 0)
        }
        if state.readonly { part("  READ-ONLY", .warning, bold: true, row: 0) }

        x = 1
        let ready = overview?.messagesReady ?? snapshot.map { $0.queues.compactMap(\.messagesReady).reduce(0, +) }
        let unacked = overview?.messagesUnacknowledged
            ?? snapshot.map { $0.queues.compactMap(\.messagesUnacknowledged).reduce(0, +) }
        part("ready ", row: 1)
        part(Format.count(ready), .highlightForeground, bold: true, row: 1)
        part("  unacked ", row: 1)
        part(Format.count(unacked), .highlightForeground, bold: true, row: 1)
        let sparkWidth = max(4, min(30, (rect.width - 60) / 2))
        part("  publish ", row: 1)
        part("\(Format.rate(snapshot?.overviewRates.publish?.perSecond))/s ", .rateIn, bold: true, row: 1)
        part(Format.sparkline(state.history.publish, width: sparkWidth), .rateIn, row: 1)
        part("  deliver ", row: 1)
        part("\(Format.rate(snapshot?.overviewRates.deliver?.perSecond))/s ", .rateOut, bold: true, row: 1)
        part(Format.sparkline(state.history.deliver, width: sparkWidth), .rateOut, row: 1)

        x = 1
        if let error = state.connection.error {
            part("⚠ \(error)", .alarm, bold: true, row: 2)
            if state.connection.failures > 0 { part(" (retrying; \(state.connection.failures) failed)", .inactiveForeground, row: 2) }
            part("  ", row: 2)
        }
        let alarms = snapshot?.cluster.alarms ?? []
        part("alarms ", row: 2)
        if alarms.isEmpty {
            part("none", snapshot == nil ? .inactiveForeground : .ok, row: 2)
        } else {
            part(alarms.map { "\($0.kind.rawValue)@\($0.node)" }.joined(separator: " "), .alarm, bold: true, row: 2)
        }
        if state.alertThresholds != nil, snapshot != nil {
            part("  alerts ", row: 2)
            part("\(state.alerts.count)", state.alerts.isEmpty ? .ok : .alarm, bold: !state.alerts.isEmpty, row: 2)
        }
        if let vhost = state.vhost { part("  vhost \(vhost)", .highlightForeground, row: 2) }
        if let notice = state.notice {
            part("  \(notice)", .inactiveForeground, row: 2)
        } else if let gap = snapshot?.gaps.first {
            part("  note: \(gap)", .inactiveForeground, row: 2)
        }
        if !state.filter.isEmpty, case .normal = state.input {
            let text = "filter: \(state.filter)"
            grid.put(text, x: rect.maxX - text.count - 1, y: rect.y, style: theme.style(.highlightForeground, bold: true))
        }
    }

    // MARK: footer

    mutating func footer(_ rect: Rect) {
        grid.fill(rect, style: theme.header)
        let style = theme.header
        switch state.input {
        case .filter(let text):
            grid.put("/" + text + "█", x: 1, y: rect.y, style: style)
            return
        case .command(let text):
            grid.put(":" + text + "█", x: 1, y: rect.y, style: style)
            return
        case .messageFilter(_, let text):
            grid.put("filter messages: " + text + "█", x: 1, y: rect.y, style: style)
            return
        case .purge, .save, .normal:
            break
        }
        if let status = state.status {
            grid.put(status, x: 1, y: rect.y, style: theme.style(.highlightForeground), maxWidth: rect.width - 2)
            return
        }
        let hints: String
        switch state.screen {
        case .dashboard: hints = "? help  / filter  : command  Enter open  Tab pane  < > sort  I invert  z zoom  t theme  q quit"
        case .queue: hints = "Esc back  j/k select  Enter message  / filter  c causes  e edit  p peek more  s save  r replay  P purge  ? help"
        case .message: hints = "Esc back  j/k scroll  b text/json/hex  e edit & resend  s save  ? help  q quit"
        case .causes: hints = "Esc back  j/k select  Enter list the group's messages  r replay the group  ? help  q quit"
        }
        grid.put(hints, x: 1, y: rect.y, style: style, maxWidth: rect.width - 2)
        let themeLabel = "theme \(state.themeName)"
        if hints.count + themeLabel.count + 4 < rect.width {
            grid.put(themeLabel, x: rect.maxX - themeLabel.count - 1, y: rect.y, style: theme.dim)
        }
    }

    // MARK: panes

    mutating func panes(_ body: Rect) {
        if state.zoomed {
            pane(state.focus, in: body)
            return
        }
        let topHeight = max(8, body.height * 3 / 5)
        let (top, bottom) = body.splitTop(topHeight)
        let (left, right) = top.splitLeft(top.width * 62 / 100)
        pane(.queues, in: left)
        let (upper, lower) = right.splitTop(right.height / 2)
        pane(.dlq, in: upper)
        pane(.states, in: lower)
        let thirds = bottom.columns(3)
        pane(.exchanges, in: thirds[0])
        pane(.consumers, in: thirds[1])
        pane(.nodes, in: thirds[2])
    }

    mutating func pane(_ pane: Pane, in rect: Rect) {
        let focused = state.focus == pane
        let table = state.table(pane)
        let count = table.count
        let title = "\(pane.title) \(count)" + (focused ? " ◂" : "")
        var borderStyle = focused ? theme.style(.title, bold: true) : theme.border
        if pane == .dlq, (0..<table.count).contains(where: { table.row($0).emphasis == .deadLetter }) && !focused {
            borderStyle = theme.style(.deadLetter)
        }
        grid.box(rect, title: title, style: borderStyle, titleStyle: focused ? theme.heading : theme.style(.mainForeground))
        var inner = rect.inset(1)
        if pane == .states { inner = stateSummary(in: inner) }
        drawTable(table, state: state.list(pane), focused: focused, in: inner)
    }
}
