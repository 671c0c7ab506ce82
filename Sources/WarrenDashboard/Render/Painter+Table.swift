import WarrenMonitor

extension Painter {
    /// Which columns fit in `width`, and how wide each is (the flexible one takes the rest).
    static func layout(_ columns: [Column], width: Int) -> [(index: Int, width: Int)] {
        var chosen = Set(columns.indices)
        func needed() -> Int { chosen.reduce(0) { $0 + columns[$1].width } + max(0, chosen.count - 1) }
        let byPriority = columns.indices.sorted { columns[$0].priority < columns[$1].priority }
        for index in byPriority where needed() > width && chosen.count > 1 { chosen.remove(index) }
        var widths = columns.indices.filter { chosen.contains($0) }.map { (index: $0, width: columns[$0].width) }
        let spare = width - needed()
        if spare > 0, let flexible = widths.firstIndex(where: { columns[$0.index].flexible }) ?? widths.indices.first {
            widths[flexible].width += spare
        }
        return widths
    }

    mutating func drawTable(_ table: Table, state: ListState, focused: Bool, in rect: Rect) {
        guard rect.height >= 1, rect.width >= 4 else { return }
        let layout = Self.layout(table.columns, width: rect.width)
        var x = rect.x
        for (index, width) in layout {
            let column = table.columns[index]
            var title = column.title
            if index == state.sortColumn { title += state.sortDescending ? "▼" : "▲" }
            let text = column.kind == .number ? String(repeating: " ", count: max(0, width - title.count)) + title : title
            grid.put(text, x: x, y: rect.y, style: theme.style(.inactiveForeground, bold: index == state.sortColumn),
                     maxWidth: width)
            x += width + 1
        }
        let visible = rect.height - 1
        guard visible > 0 else { return }
        if table.count == 0 {
            grid.put(table.empty, x: rect.x, y: rect.y + 1, style: theme.dim, maxWidth: rect.width)
            return
        }
        let selection = min(state.selection, table.count - 1)
        let offset = selection >= visible ? selection - visible + 1 : 0
        for line in 0..<min(visible, table.count - offset) {
            let row = table.row(offset + line)
            let y = rect.y + 1 + line
            let selected = focused && offset + line == selection
            var style = row.emphasis.map { theme.style($0) } ?? theme.base
            if selected {
                style = theme.selected
                grid.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: style)
            }
            var x = rect.x
            for (index, width) in layout {
                let column = table.columns[index]
                let standIn = row.cells.indices.contains(index) ? row.cells[index] : ""
                if column.kind == .bar, row.bar != nil || standIn.isEmpty {
                    drawBar(row.bar, x: x, y: y, width: width, selected: selected)
                } else {
                    let cell = row.cells.indices.contains(index) ? row.cells[index] : ""
                    let text = Self.fit(cell, width: width, right: column.kind == .number)
                    grid.put(text, x: x, y: y, style: style, maxWidth: width)
                }
                x += width + 1
            }
        }
        if table.count > visible {
            let position = "\(selection + 1)/\(table.count)"
            grid.put(position, x: rect.maxX - position.count, y: rect.maxY, style: theme.dim)
        }
    }

    /// Cuts with `…` or pads; numbers are right-aligned.
    static func fit(_ text: String, width: Int, right: Bool = false) -> String {
        guard width > 0 else { return "" }
        if text.count > width { return String(text.prefix(width - 1)) + "…" }
        let pad = String(repeating: " ", count: width - text.count)
        return right ? pad + text : text + pad
    }

    /// A stacked bar: each segment's share of `width` cells, in its theme colour.
    mutating func drawBar(_ bar: StateBar?, x: Int, y: Int, width: Int, selected: Bool = false) {
        guard width > 0 else { return }
        guard let bar else {
            grid.put(Self.fit("n/a", width: width), x: x, y: y, style: selected ? theme.selected : theme.dim)
            return
        }
        let total = bar.total
        guard total > 0 else {
            grid.put(String(repeating: "·", count: width), x: x, y: y, style: selected ? theme.selected : theme.dim)
            return
        }
        var start = 0
        var cumulative = 0
        for segment in bar.segments {
            cumulative += segment.count
            var end = Int((Double(cumulative) / Double(total) * Double(width)).rounded())
            // A non-empty state always shows at least one cell.
            if segment.count > 0, end == start, start < width { end = start + 1 }
            if end > start {
                let style = CellStyle(foreground: theme.color(segment.key),
                                      background: selected ? theme.color(.selectedBackground) : theme.color(.mainBackground))
                grid.put(String(repeating: "█", count: end - start), x: x + start, y: y, style: style)
            }
            start = max(start, end)
        }
    }

    /// The States pane's total bar and legend; returns the space left for the table.
    mutating func stateSummary(in rect: Rect) -> Rect {
        guard let snapshot, rect.height >= 4 else { return rect }
        let (totals, precisions) = state.stateTotals(snapshot)
        if precisions == [.segmentFiles] {
            let broker = snapshot.overview.broker?.name ?? "The broker"
            grid.put("No α/β/γ/δ: \(broker) keeps every message in memory-mapped segment files", x: rect.x, y: rect.y,
                     style: theme.heading, maxWidth: rect.width)
            grid.put("ready \(Format.bytes(totals[4]))  unacked \(Format.bytes(totals[5]))  persistent "
                + "\(Format.count(totals[6])) messages", x: rect.x, y: rect.y + 1, style: theme.base, maxWidth: rect.width)
            return Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2)
        }
        let label = "Total \(Format.count(totals.reduce(0, +))) "
        grid.put(label, x: rect.x, y: rect.y, style: theme.heading)
        drawBar(StateBar(segments: [(totals[0], .alpha), (totals[1], .beta), (totals[2], .gamma), (totals[3], .delta)]),
                x: rect.x + label.count, y: rect.y, width: rect.width - label.count)
        var x = rect.x
        let legend: [(String, ThemeKey)] = [("α RAM ", .alpha), ("β ", .beta), ("γ ", .gamma), ("δ disk ", .delta)]
        for (text, key) in legend {
            x += grid.put("█", x: x, y: rect.y + 1, style: theme.style(key))
            x += grid.put(text, x: x, y: rect.y + 1, style: theme.base)
        }
        grid.put(Self.precisionNote(precisions), x: x, y: rect.y + 1, style: theme.dim, maxWidth: rect.maxX - x)
        return Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2)
    }

    /// Says how many states the source really gives.
    static func precisionNote(_ precisions: Set<MessageStatePrecision>) -> String {
        if precisions.isEmpty { return "" }
        if precisions == [.exact] { return "exact, 4 states" }
        var notes: [String] = []
        if precisions.contains(.exact) { notes.append("exact") }
        if precisions.contains(.classicQueues) { notes.append("β+γ as one (3 states)") }
        if precisions.contains(.ramVersusPagedOut) { notes.append("RAM/paged only (2 states)") }
        if precisions.contains(.quorumInMemory) { notes.append("quorum RAM/disk (2)") }
        if precisions.contains(.segmentFiles) { notes.append("no states: every message in mmap segment files") }
        if precisions.contains(.unknown) { notes.append("some unreported") }
        return notes.joined(separator: "; ")
    }
}
