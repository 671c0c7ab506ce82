import Foundation
import WarrenMonitor

extension Painter {
    /// A box centred in `area`, cleared; returns its inside.
    mutating func dialog(_ title: String, width: Int, height: Int, over area: Rect, key: ThemeKey = .title) -> Rect {
        let w = min(area.width, width)
        let h = min(area.height, height)
        let rect = Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
        grid.fill(rect, style: theme.base)
        grid.box(rect, title: title, style: theme.style(key, bold: true), titleStyle: theme.heading)
        return rect.inset(1).insetHorizontally(1)
    }

    mutating func help(over area: Rect) {
        let lines = KeyBindings.helpLines()
        let inner = dialog("Help: keys", width: 96, height: min(area.height, lines.count + 2), over: area)
        let scroll = min(state.helpScroll, max(0, lines.count - inner.height))
        for (offset, line) in lines.dropFirst(scroll).prefix(inner.height).enumerated() {
            let heading = !line.hasPrefix(" ") && !line.isEmpty
            grid.put(line, x: inner.x, y: inner.y + offset, style: heading ? theme.heading : theme.base,
                     maxWidth: inner.width)
        }
    }

    mutating func purgeDialog(_ queue: QueueID, typed: String, over area: Rect) {
        let inner = dialog("Purge \(queue)", width: 64, height: 7, over: area, key: .alarm)
        let depth = snapshot?.queue(queue.name, vhost: queue.vhost)?.messagesReady
        grid.put("Deletes all \(Format.count(depth)) ready messages of '\(queue.name)'.", x: inner.x, y: inner.y,
                 style: theme.base, maxWidth: inner.width)
        grid.put("Type the queue's name and Enter to purge; Esc cancels.", x: inner.x, y: inner.y + 1,
                 style: theme.dim, maxWidth: inner.width)
        grid.put("> " + typed + "█", x: inner.x, y: inner.y + 3, style: theme.style(.highlightForeground, bold: true),
                 maxWidth: inner.width)
    }

    mutating func saveDialog(_ queue: QueueID, count: Int, path: String, over area: Rect) {
        let inner = dialog("Save messages of \(queue)", width: 70, height: 7, over: area, key: .ok)
        grid.put("Writes the first \(count) messages (those peeked) as JSON lines (docs/export-format.md).",
                 x: inner.x, y: inner.y, style: theme.base, maxWidth: inner.width)
        grid.put("Edit the file name and Enter to save; Esc cancels. An existing file is not replaced.",
                 x: inner.x, y: inner.y + 1, style: theme.dim, maxWidth: inner.width)
        grid.put("> " + path + "█", x: inner.x, y: inner.y + 3, style: theme.style(.highlightForeground, bold: true),
                 maxWidth: inner.width)
    }

    /// `T`: the replays started here, newest last.
    mutating func tasksDialog(over area: Rect) {
        let tasks = state.tasks
        let inner = dialog("Replays", width: 76, height: max(6, min(area.height - 2, tasks.count + 4)), over: area,
                           key: .deadLetter)
        var row = inner.y
        if tasks.isEmpty {
            grid.put("none started yet: r on a dead-letter queue", x: inner.x, y: row, style: theme.dim)
        }
        let visible = max(1, inner.height - 2)
        let selection = min(state.taskSelection, max(0, tasks.count - 1))
        let offset = selection >= visible ? selection - visible + 1 : 0
        for (index, task) in tasks.enumerated().dropFirst(offset).prefix(visible) {
            let style = index == selection ? theme.selected : theme.base
            if index == selection { grid.fill(Rect(x: inner.x, y: row, width: inner.width, height: 1), style: style) }
            let what: String
            switch task.phase {
            case .running(let p): what = "running: \(p.moved) moved, \(p.remaining) to go, \(Int(p.rate))/s"
            case .cancelling(let p): what = "stopping: \(p.moved) moved, settling the rest"
            case .finished(let report):
                what = "done: \(report.progress.moved) moved, \(report.progress.returned + report.progress.failed + report.progress.skipped) left"
            case .failed(let message): what = "failed: \(message)"
            case .planning, .plan: what = "planning"
            }
            let only = task.filters.isEmpty ? "" : " [\(task.filters.map(\.description).joined(separator: " "))]"
            grid.put("\(task.id). \(task.queue.name)\(only) → origin  \(what)", x: inner.x, y: row, style: style,
                     maxWidth: inner.width)
            row += 1
        }
        grid.put("j/k select   x cancel   Enter show   Esc close", x: inner.x, y: inner.maxY - 1,
                 style: theme.style(.highlightForeground, bold: true), maxWidth: inner.width)
    }

    mutating func composeDialog(_ dialog: ComposeDialog, over area: Rect) {
        let resend = dialog.session.queue != nil
        let inner = self.dialog(resend ? "Resend the edited message" : "Publish a new message", width: 72, height: 12,
                                over: area, key: .ok)
        var row = inner.y
        func line(_ text: String, _ style: CellStyle? = nil) {
            guard row < inner.maxY else { return }
            grid.put(text, x: inner.x, y: row, style: style ?? theme.base, maxWidth: inner.width)
            row += 1
        }
        let m = dialog.message
        line("to exchange \(m.exchange.isEmpty ? "(default)" : m.exchange), routing key '\(m.routingKey)'", theme.heading)
        line("\(m.properties.headers?.entries.count ?? 0) headers, body \(Format.bytes(m.body.count)), "
            + (m.properties.deliveryMode == 2 ? "persistent" : "transient"), theme.dim)
        if let preview = dialog.preview {
            if preview.unroutable {
                line("would reach no queue: the broker would return it (nothing is lost)", theme.style(.warning))
            } else {
                line("would reach: " + preview.queues.map(\.name).joined(separator: ", "))
            }
            if !preview.alternates.isEmpty { line("through the alternate exchange " + preview.alternates.joined(separator: ", "), theme.dim) }
        } else {
            line("no route preview: the snapshot has no bindings (no management API)", theme.dim)
        }
        if let queue = dialog.session.queue {
            line("after the broker confirms it, the original is acked in \(queue.name)", theme.dim)
        }
        row = max(row, inner.maxY - 1)
        line(dialog.sending ? "Sending, waiting for the confirm…" : "Enter: send (with confirms)    Esc: cancel",
             theme.style(.highlightForeground, bold: true))
    }

    mutating func replayDialog(_ dialog: ReplayDialog, over area: Rect) {
        var height = 14
        if case .plan(let plan) = dialog.phase { height += min(6, plan.planWarnings.count) }
        let inner = self.dialog("Replay \(dialog.queue) → origin", width: 70, height: height, over: area, key: .deadLetter)
        var row = inner.y
        func line(_ text: String, _ style: CellStyle? = nil) {
            guard row < inner.maxY else { return }
            grid.put(text, x: inner.x, y: row, style: style ?? theme.base, maxWidth: inner.width)
            row += 1
        }
        if !dialog.filters.isEmpty {
            line("only: " + dialog.filters.map(\.description).joined(separator: " "), theme.dim)
        }
        switch dialog.phase {
        case .planning:
            line("Counting messages per target (a dry run: nothing moves)…", theme.dim)
        case .plan(let report):
            let plan = report.progress
            line("Plan: \(plan.seen) messages looked at"
                + (report.sampled ? " (sampled \(plan.seen) of \(report.queueLength))" : ""), theme.heading)
            for (target, count) in plan.perTarget.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                line("  → \(Self.fit(target, width: 40)) \(Self.fit(String(count), width: 8, right: true))")
            }
            for (reason, count) in plan.skipReasons.sorted(by: { $0.key < $1.key }) {
                line("  stays: \(Self.fit(reason, width: 37)) \(Self.fit(String(count), width: 8, right: true))", theme.dim)
            }
            if plan.seen == 0 { line("  the queue is empty: nothing to replay", theme.dim) }
            let warnings = report.planWarnings
            let shown = warnings.count > 6 ? 5 : warnings.count
            for warning in warnings.prefix(shown) {
                line("! " + warning.text, theme.style(warning.kind == .loop ? .alarm : .warning))
            }
            if warnings.count > shown { line("! and \(warnings.count - shown) more (warren replay --dry-run lists them)", theme.style(.warning)) }
            row = max(row, inner.maxY - 2)
            if dialog.confirming {
                line("\(warnings.count) warning\(warnings.count == 1 ? "" : "s"): replay anyway?", theme.style(.warning, bold: true))
                line("Enter again: replay    Esc: cancel", theme.style(.highlightForeground, bold: true))
            } else {
                line("Each message is acked only after its copy is confirmed.", theme.dim)
                line(warnings.isEmpty ? "Enter: replay    Esc: cancel" : "Enter: review and replay    Esc: cancel",
                     theme.style(.highlightForeground, bold: true))
            }
        case .running(let progress), .cancelling(let progress):
            progressLines(progress, in: inner, row: &row)
            row = max(row, inner.maxY - 1)
            if case .cancelling = dialog.phase {
                line("Stopping: settling the messages in flight…", theme.style(.warning))
            } else {
                line("x: stop safely (the rest stay in the DLQ)    Esc: close, it goes on",
                     theme.style(.highlightForeground, bold: true))
            }
        case .finished(let report):
            line(report.complete ? "Done" : "Done, with messages left in the queue", theme.heading)
            progressLines(report.progress, in: inner, row: &row)
            line("Stopped: \(report.stop.explanation)")
            for warning in report.warnings { line("note: \(warning)", theme.dim) }
            row = max(row, inner.maxY - 1)
            line("Enter or Esc: close", theme.style(.highlightForeground, bold: true))
        case .failed(let message):
            line("Replay failed:", theme.style(.alarm, bold: true))
            line(message)
            row = max(row, inner.maxY - 1)
            line("Enter or Esc: close", theme.style(.highlightForeground, bold: true))
        }
    }

    private mutating func progressLines(_ progress: ReplayProgress, in inner: Rect, row: inout Int) {
        let total = max(1, progress.lengthAtStart)
        let width = max(10, inner.width - 8)
        let filled = min(width, progress.seen * width / total)
        let percent = "\(min(100, progress.seen * 100 / total))%"
        grid.put(String(repeating: "█", count: filled), x: inner.x, y: row, style: theme.style(.ok))
        grid.put(String(repeating: "░", count: width - filled), x: inner.x + filled, y: row, style: theme.dim)
        grid.put(" " + percent, x: inner.x + width, y: row, style: theme.base)
        row += 2
        let eta = progress.rate > 0 ? Format.duration(Double(progress.remaining) / progress.rate) : "-"
        let lines = ["moved \(progress.moved)   remaining \(progress.remaining)   of \(progress.lengthAtStart)",
                     "rate \(Format.rate(progress.rate))/s   ETA \(eta)",
                     "returned \(progress.returned)   failed \(progress.failed)   skipped \(progress.skipped)"]
        for text in lines where row < inner.maxY {
            grid.put(text, x: inner.x, y: row, style: theme.base, maxWidth: inner.width)
            row += 1
        }
    }
}

extension Rect {
    func insetHorizontally(_ n: Int) -> Rect { Rect(x: x + n, y: y, width: width - 2 * n, height: height) }
}
