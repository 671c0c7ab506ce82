import Foundation
import WarrenMonitor

extension Painter {
    /// A DLQ's peeked messages grouped by cause: source queue, reason, error header, counts and
    /// first and last death.
    mutating func causesView(_ id: QueueID, in body: Rect) {
        let peek = state.peeks[id]
        let groups = state.causeGroups(id)
        let looked = peek?.messages.count ?? 0
        var title = "Causes of \(id): \(Format.count(looked)) peeked messages"
        if let depth = snapshot?.queue(id.name, vhost: id.vhost)?.messages, depth > looked {
            title += " of \(Format.count(depth)) (the first ones)"
        }
        if peek?.loading == true { title += ", loading…" }
        grid.box(body, title: title, style: theme.style(.title), titleStyle: theme.heading)
        let inner = body.inset(1)
        var row = inner.y
        if let error = peek?.error {
            grid.put(error, x: inner.x, y: row, style: theme.style(.alarm), maxWidth: inner.width)
            row += 1
        }
        let countWidth = 7
        let timeWidth = 16
        let sourceWidth = max(12, min(28, inner.width / 5))
        let reasonWidth = 14
        let errorWidth = max(10, inner.width - countWidth - sourceWidth - reasonWidth - 2 * timeWidth - 5)
        let header = Self.fit("COUNT", width: countWidth, right: true) + " " + Self.fit("SOURCE", width: sourceWidth)
            + " " + Self.fit("REASON", width: reasonWidth) + " " + Self.fit("ERROR", width: errorWidth) + " "
            + Self.fit("FIRST DEATH", width: timeWidth) + " " + Self.fit("LAST DEATH", width: timeWidth)
        grid.put(header, x: inner.x, y: row, style: theme.heading, maxWidth: inner.width)
        row += 1
        if groups.isEmpty, peek?.loading != true {
            grid.put(looked == 0 ? "no messages peeked" : "no groups", x: inner.x, y: row, style: theme.dim)
            return
        }
        let visible = inner.maxY - row
        guard visible > 0 else { return }
        let selection = min(state.causeSelection, groups.count - 1)
        let offset = selection >= visible ? selection - visible + 1 : 0
        for (index, group) in groups.enumerated().dropFirst(offset).prefix(visible) {
            let selected = index == selection
            let style = selected ? theme.selected : theme.base
            if selected { grid.fill(Rect(x: inner.x, y: row, width: inner.width, height: 1), style: style) }
            let error = group.error.map { ($0.split(separator: "\n").first.map(String.init) ?? $0) } ?? "-"
            let line = Self.fit(Format.count(group.count), width: countWidth, right: true) + " "
                + Self.fit(group.source ?? "(unknown)", width: sourceWidth) + " "
                + Self.fit(group.reason ?? "(none)", width: reasonWidth) + " " + Self.fit(error, width: errorWidth) + " "
                + Self.fit(Self.deathTime(group.firstDeath), width: timeWidth) + " "
                + Self.fit(Self.deathTime(group.lastDeath), width: timeWidth)
            grid.put(line, x: inner.x, y: row, style: style, maxWidth: inner.width)
            row += 1
        }
    }

    static func deathTime(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
