import Foundation
import WarrenMonitor

extension Painter {
    /// Lines of `label  value` pairs.
    mutating func pairs(_ items: [(String, String)], in rect: Rect, from row: inout Int, labelWidth: Int = 12) {
        for (label, value) in items where row < rect.maxY {
            grid.put(Self.fit(label, width: labelWidth), x: rect.x, y: row, style: theme.dim)
            grid.put(value, x: rect.x + labelWidth + 1, y: row, style: theme.base, maxWidth: rect.width - labelWidth - 1)
            row += 1
        }
    }

    mutating func section(_ title: String, in rect: Rect, row: inout Int) {
        guard row < rect.maxY else { return }
        if row > rect.y { row += 1 }
        guard row < rect.maxY else { return }
        grid.put(title, x: rect.x, y: row, style: theme.heading, maxWidth: rect.width)
        row += 1
    }

    mutating func queueView(_ id: QueueID, in body: Rect) {
        let queue = snapshot?.queue(id.name, vhost: id.vhost)
        grid.box(body, title: "Queue \(id)" + (queue == nil ? " (gone)" : ""), style: theme.style(.title),
                 titleStyle: theme.heading)
        let inner = body.inset(1)
        let (top, bottom) = inner.splitTop(max(8, inner.height / 2))
        let (left, right) = top.splitLeft(top.width / 2)
        var row = left.y
        if let queue {
            var flags = [queue.durable ? "durable" : "transient"]
            if queue.autoDelete { flags.append("auto-delete") }
            if queue.exclusive { flags.append("exclusive") }
            var items: [(String, String)] = [
                ("type", "\(queue.type) (\(flags.joined(separator: ", ")))"), ("state", queue.state ?? "-"),
                ("messages", "\(Format.count(queue.messages)) = ready \(Format.count(queue.messagesReady)) + unacked \(Format.count(queue.messagesUnacknowledged))"),
                ("consumers", Format.count(queue.consumers)),
            ]
            // A single-node broker without node names (LavinMQ) leaves the line out.
            if let node = queue.node { items.append(("node", node)) }
            items.append(("policy", queue.policy ?? "-"))
            if queue.isQuorum {
                items.append(("leader", queue.leader ?? "-"))
                items.append(("online", "\(queue.online?.count ?? 0)/\(queue.members?.count ?? 0) members"))
            }
            pairs(items, in: left, from: &row, labelWidth: 9)
            section("Arguments", in: left, row: &row)
            let arguments = queue.arguments.sorted { $0.key < $1.key }.map { ($0.key, $0.value.text) }
                + queue.effectivePolicy.sorted { $0.key < $1.key }.map { ("policy " + $0.key, $0.value.text) }
            if arguments.isEmpty { pairs([("none", "")], in: left, from: &row) }
            pairs(arguments, in: left, from: &row, labelWidth: 24)
        }
        row = right.y
        let publish = state.history.queuePublish[id] ?? []
        let deliver = state.history.queueDeliver[id] ?? []
        let rates = snapshot?.queueRates[id]
        let spark = max(4, right.width - 22)
        grid.put("in  \(Self.fit(Format.rate(rates?.publish?.perSecond) + "/s", width: 9, right: true)) ",
                 x: right.x, y: row, style: theme.style(.rateIn, bold: true))
        grid.put(Format.sparkline(publish, width: spark), x: right.x + 15, y: row, style: theme.style(.rateIn))
        row += 1
        grid.put("out \(Self.fit(Format.rate(rates?.deliver?.perSecond) + "/s", width: 9, right: true)) ",
                 x: right.x, y: row, style: theme.style(.rateOut, bold: true))
        grid.put(Format.sparkline(deliver, width: spark), x: right.x + 15, y: row, style: theme.style(.rateOut))
        row += 1
        section("States", in: right, row: &row)
        histogram(snapshot?.messageStates[id], in: right, row: &row)
        section("Bindings", in: right, row: &row)
        let listed = (snapshot?.bindings ?? []).filter { $0.vhost == id.vhost && $0.destination == id.name
            && $0.destinationType == "queue" }
        // Every queue is bound to the default exchange by its name; on a large broker the poll
        // leaves those bindings out of the listing (ManagementSource.fetchTopology).
        var bindings = listed.contains { $0.source.isEmpty } ? [] : [("← (default)", id.name)]
        bindings += listed.map { ("← " + ($0.source.isEmpty ? "(default)" : $0.source), $0.routingKey) }
        bindings += (snapshot?.deadLetters.routes ?? []).filter { $0.source == id }.map {
            ("→ dlx " + ($0.exchange.isEmpty ? "(default)" : $0.exchange), "\($0.target)" + ($0.certain ? "" : " (maybe)"))
        }
        bindings += (snapshot?.deadLetters.routes ?? []).filter { $0.target == id }.map { ("← dead letters", "\($0.source)") }
        pairs(bindings.isEmpty ? [("none", "")] : bindings, in: right, from: &row, labelWidth: 18)
        section("Consumers", in: right, row: &row)
        let consumers = (snapshot?.consumers ?? []).filter { $0.queue == id }.map {
            ($0.consumerTag, "prefetch \(Format.count($0.prefetchCount)) \($0.ackRequired ? "manual ack" : "auto ack")")
        }
        pairs(consumers.isEmpty ? [("none", "")] : consumers, in: right, from: &row, labelWidth: 18)
        peekList(id, in: bottom)
    }

    mutating func histogram(_ states: MessageStates?, in rect: Rect, row: inout Int) {
        if let states, states.precision == .segmentFiles {
            segmentFigures(states, in: rect, row: &row)
            return
        }
        guard let states, let (bar, _) = states.bar else {
            pairs([("not reported", "")], in: rect, from: &row)
            return
        }
        let names: [ThemeKey: String]
        switch states.precision {
        case .exact: names = [.alpha: "α alpha", .beta: "β beta", .gamma: "γ gamma", .delta: "δ delta"]
        case .classicQueues: names = [.alpha: "α alpha", .beta: "β+γ", .delta: "δ delta"]
        default: names = [.alpha: "in RAM", .delta: states.precision == .quorumInMemory ? "on disk" : "paged out"]
        }
        let top = max(1, bar.segments.map(\.count).max() ?? 1)
        let width = max(4, rect.width - 22)
        for segment in bar.segments where row < rect.maxY {
            grid.put(Self.fit(names[segment.key] ?? "", width: 9), x: rect.x, y: row, style: theme.style(segment.key))
            grid.put(Self.fit(Format.count(segment.count), width: 8, right: true), x: rect.x + 9, y: row, style: theme.base)
            let cells = segment.count == 0 ? 0 : max(1, segment.count * width / top)
            grid.put(String(repeating: "█", count: cells), x: rect.x + 18, y: row, style: theme.style(segment.key))
            row += 1
        }
    }

    /// A broker without message states (LavinMQ) says so, and what it reports instead.
    mutating func segmentFigures(_ states: MessageStates, in rect: Rect, row: inout Int) {
        let broker = snapshot?.overview.broker?.name ?? "The broker"
        for line in Self.wrap("No α/β/γ/δ: \(broker) keeps every message in memory-mapped segment files",
                              width: rect.width) where row < rect.maxY {
            grid.put(line, x: rect.x, y: row, style: theme.dim, maxWidth: rect.width)
            row += 1
        }
        pairs([("ready", Format.bytes(states.readyBytes)), ("unacked", Format.bytes(states.unackedBytes)),
               ("persistent", Format.count(states.persistent) + " messages")], in: rect, from: &row)
    }

    /// Words in lines of at most `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    mutating func peekList(_ id: QueueID, in rect: Rect) {
        guard rect.height >= 2 else { return }
        let peek = state.peeks[id]
        let messages = state.visibleMessages(id)
        var title = "Messages (peek)"
        if let filter = state.messageFilters[id] {
            title = "Messages (peek) filter \(filter.text): \(messages.count) of \(peek?.messages.count ?? 0)"
        }
        if peek?.loading == true { title += " loading…" }
        grid.put(String(repeating: "─", count: rect.width), x: rect.x, y: rect.y, style: theme.border)
        grid.put(" \(title) ", x: rect.x + 1, y: rect.y, style: theme.heading)
        var row = rect.y + 1
        if let error = peek?.error {
            grid.put(error, x: rect.x, y: row, style: theme.style(.alarm), maxWidth: rect.width)
            row += 1
        }
        for warning in peek?.warnings ?? [] where row < rect.maxY - 1 {
            grid.put("note: " + warning, x: rect.x, y: row, style: theme.dim, maxWidth: rect.width)
            row += 1
        }
        if messages.isEmpty {
            if peek?.loading != true, peek?.error == nil, row < rect.maxY {
                let empty = state.messageFilters[id] != nil ? "no peeked message matches the filter (Esc clears it)"
                    : "the queue is empty"
                grid.put(peek == nil ? "p: peek at the messages" : empty, x: rect.x, y: row, style: theme.dim)
            }
            return
        }
        let visible = rect.maxY - row
        guard visible > 0 else { return }
        let selection = min(state.drillSelection, messages.count - 1)
        let offset = selection >= visible ? selection - visible + 1 : 0
        for (index, message) in messages.enumerated().dropFirst(offset).prefix(visible) {
            let selected = index == selection
            let style = selected ? theme.selected : theme.base
            if selected { grid.fill(Rect(x: rect.x, y: row, width: rect.width, height: 1), style: style) }
            let reason = message.deadLetter.reason.map { "✝\($0)" } ?? ""
            let preview = message.body.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ")
            let line = "\(Self.fit(String(message.index), width: 3, right: true)) "
                + "\(Self.fit(message.routingKey.isEmpty ? "-" : message.routingKey, width: 18)) "
                + "\(Self.fit(reason, width: 12)) \(Self.fit(Format.bytes(message.bodyBytes), width: 6, right: true)) "
                + preview
            grid.put(line, x: rect.x, y: row, style: style, maxWidth: rect.width)
            row += 1
        }
    }
}
