import Foundation
import WarrenMonitor

extension ViewState {
    /// The table of a pane as it is shown: filtered by name and vhost, sorted by the pane's column.
    public func table(_ pane: Pane) -> Table {
        var table = unsortedTable(pane)
        let state = list(pane)
        let column = min(max(0, state.sortColumn), max(0, table.columns.count - 1))
        let descending = state.sortDescending
        // Ties keep the name order, so the list does not jump between polls.
        table.rows.sort { a, b in
            let x = a.sort.indices.contains(column) ? a.sort[column] : .missing
            let y = b.sort.indices.contains(column) ? b.sort[column] : .missing
            if x == y { return a.name < b.name }
            return descending ? y < x : x < y
        }
        return table
    }

    func matches(_ name: String, vhost queueVhost: String) -> Bool {
        if let vhost, vhost != queueVhost { return false }
        return filter.isEmpty || name.localizedCaseInsensitiveContains(filter)
    }

    private func unsortedTable(_ pane: Pane) -> Table {
        guard let snapshot else { return Table(columns: Self.columns(pane), rows: [], empty: "waiting for the first poll") }
        switch pane {
        case .queues: return queueTable(snapshot)
        case .exchanges: return exchangeTable(snapshot)
        case .consumers: return consumerTable(snapshot)
        case .dlq: return deadLetterTable(snapshot)
        case .states: return stateTable(snapshot)
        case .nodes: return nodeTable(snapshot)
        }
    }

    /// The columns of each pane (also what `<` and `>` move over).
    public static func columns(_ pane: Pane) -> [Column] {
        switch pane {
        case .queues:
            return [Column("Name", 16, flexible: true, priority: 9), Column("Type", 7, priority: 2),
                    Column("State", 7, priority: 1), Column("Ready", 7, .number, priority: 8),
                    Column("Unacked", 7, .number, priority: 6), Column("In/s", 7, .number, priority: 7),
                    Column("Out/s", 7, .number, priority: 7), Column("Cons", 4, .number, priority: 5),
                    Column("States", 10, .bar, priority: 4)]
        case .exchanges:
            return [Column("Name", 14, flexible: true, priority: 9), Column("Type", 7, priority: 8),
                    Column("Bindings", 8, .number, priority: 6), Column("In/s", 7, .number, priority: 7),
                    Column("Out/s", 7, .number, priority: 7)]
        case .consumers:
            return [Column("Tag", 14, flexible: true, priority: 9), Column("Queue", 14, priority: 8),
                    Column("Connection", 16, priority: 3), Column("Prefetch", 8, .number, priority: 6),
                    Column("Ack", 6, priority: 7), Column("Active", 6, priority: 5)]
        case .dlq:
            return [Column("Name", 14, flexible: true, priority: 9), Column("Depth", 7, .number, priority: 8),
                    Column("Growth/min", 10, .number, priority: 7), Column("Sources", 16, priority: 6),
                    Column("Top reasons", 18, priority: 5)]
        case .states:
            return [Column("Name", 14, priority: 9), Column("Messages", 8, .number, priority: 7),
                    Column("States", 12, .bar, flexible: true, priority: 8), Column("Figures", 16, priority: 6)]
        case .nodes:
            return [Column("Name", 14, flexible: true, priority: 9), Column("Up", 4, priority: 8),
                    Column("Memory", 15, priority: 7), Column("Disk free", 15, priority: 6),
                    Column("Alarms", 10, priority: 7), Column("Leaders", 7, .number, priority: 5)]
        }
    }

    private func queueTable(_ snapshot: Snapshot) -> Table {
        let dlqs = Set(snapshot.deadLetters.queues.map(\.queue))
        var rows: [Row] = []
        rows.reserveCapacity(snapshot.queues.count)
        for (index, queue) in snapshot.queues.enumerated() where matches(queue.name, vhost: queue.vhost) {
            let rates = snapshot.queueRates[queue.id]
            let name = queue.id.description
            let odd = !(queue.state == "running" || queue.state == nil || queue.state == "idle")
            rows.append(Row(
                queue: queue.id, name: name, source: index,
                sort: [.text(name), .text(queue.type), .text(queue.state ?? ""), .number(queue.messagesReady),
                       .number(queue.messagesUnacknowledged), .number(rates?.publish?.perSecond),
                       .number(rates?.deliver?.perSecond), .number(queue.consumers),
                       .number(snapshot.messageStates[queue.id]?.barTotal)],
                emphasis: dlqs.contains(queue.id) ? .deadLetter : (odd ? .warning : nil)))
        }
        var table = Table(columns: Self.columns(.queues), rows: rows, empty: filter.isEmpty ? "no queues" : "no queue matches")
        table.fill = { row in
            let queue = snapshot.queues[row.source]
            let rates = snapshot.queueRates[queue.id]
            row.cells = [row.name, queue.type, queue.state ?? "-", Format.count(queue.messagesReady),
                         Format.count(queue.messagesUnacknowledged), Format.rate(rates?.publish?.perSecond),
                         Format.rate(rates?.deliver?.perSecond), Format.count(queue.consumers), ""]
            row.bar = snapshot.messageStates[queue.id]?.bar?.0
        }
        return table
    }

    private func exchangeTable(_ snapshot: Snapshot) -> Table {
        var bindingCounts: [String: Int] = [:]
        for binding in snapshot.bindings where !binding.source.isEmpty {
            bindingCounts[binding.vhost + "\u{0}" + binding.source, default: 0] += 1
        }
        let before = Dictionary((previous?.exchanges ?? []).map { ($0.vhost + "\u{0}" + $0.name, $0) },
                                uniquingKeysWith: { a, _ in a })
        let elapsed = previous.map { snapshot.takenAt.timeIntervalSince($0.takenAt) } ?? 0
        var rows: [Row] = []
        var cells: [[String]] = []
        for exchange in snapshot.exchanges where matches(exchange.name, vhost: exchange.vhost) {
            let key = exchange.vhost + "\u{0}" + exchange.name
            let old = before[key]?.messageStats
            let inRate = Rate.of(exchange.messageStats.publishIn, previous: old?.publishIn, elapsed: elapsed)?.perSecond
            let outRate = Rate.of(exchange.messageStats.publishOut, previous: old?.publishOut, elapsed: elapsed)?
                .perSecond
            let name = exchange.name.isEmpty ? "(default)" : exchange.name
            let shown = exchange.vhost == "/" ? name : "\(exchange.vhost)/\(name)"
            let bindings = exchange.name.isEmpty ? nil : bindingCounts[key] ?? 0
            cells.append([shown, exchange.type, Format.count(bindings), Format.rate(inRate), Format.rate(outRate)])
            rows.append(Row(queue: nil, name: shown, source: cells.count - 1,
                            sort: [.text(shown), .text(exchange.type), .number(bindings), .number(inRate), .number(outRate)],
                            emphasis: exchange.internal ? .inactiveForeground : nil))
        }
        return Table(columns: Self.columns(.exchanges), rows: rows, empty: "no exchanges", fill: Self.filler(cells))
    }

    /// For small tables the cells are made up front; the row keeps their index.
    static func filler(_ cells: [[String]]) -> @Sendable (inout Row) -> Void {
        { row in row.cells = cells[row.source] }
    }

    private func consumerTable(_ snapshot: Snapshot) -> Table {
        var rows: [Row] = []
        var cells: [[String]] = []
        for consumer in snapshot.consumers
        where matches(consumer.queue.name, vhost: consumer.queue.vhost) || matches(consumer.consumerTag, vhost: consumer.queue.vhost) {
            let connection = consumer.connectionName.map { name in
                consumer.channelNumber.map { "\(name) (\($0))" } ?? name
            } ?? "-"
            let ack = consumer.ackRequired ? "manual" : "auto"
            cells.append([consumer.consumerTag, consumer.queue.description, connection, Format.count(consumer.prefetchCount),
                          ack, consumer.active ? "yes" : "no"])
            rows.append(Row(queue: consumer.queue, name: consumer.consumerTag, source: cells.count - 1,
                            sort: [.text(consumer.consumerTag), .text(consumer.queue.description), .text(connection),
                                   .number(consumer.prefetchCount), .text(ack), .text(consumer.active ? "yes" : "no")],
                            emphasis: consumer.active ? nil : .inactiveForeground))
        }
        return Table(columns: Self.columns(.consumers), rows: rows, empty: "no consumers", fill: Self.filler(cells))
    }

    private func deadLetterTable(_ snapshot: Snapshot) -> Table {
        var rows: [Row] = []
        var cells: [[String]] = []
        for dlq in snapshot.deadLetters.queues where matches(dlq.queue.name, vhost: dlq.queue.vhost) {
            let perMinute = dlq.growth.map { $0.perSecond * 60 }
            let sources = dlq.sources.isEmpty ? "(by name)" : dlq.sources.map(\.description).joined(separator: ",")
            let reasons = topReasons(dlq.queue)
            cells.append([dlq.queue.description, Format.count(dlq.depth), Format.signedRate(perMinute), sources, reasons])
            rows.append(Row(queue: dlq.queue, name: dlq.queue.description, source: cells.count - 1,
                            sort: [.text(dlq.queue.description), .number(dlq.depth), .number(perMinute), .text(sources),
                                   .text(reasons)],
                            emphasis: (dlq.depth ?? 0) > 0 ? .deadLetter : nil))
        }
        return Table(columns: Self.columns(.dlq), rows: rows, empty: "no dead-letter queues", fill: Self.filler(cells))
    }

    /// Dead-letter reasons among the peeked messages of a queue, most common first.
    func topReasons(_ queue: QueueID) -> String {
        guard let peek = peeks[queue], !peek.messages.isEmpty else { return "p: peek to sample" }
        var counts: [String: Int] = [:]
        for message in peek.messages { counts[message.deadLetter.reason ?? "retry/manual", default: 0] += 1 }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
            .joined(separator: ", ")
    }

    private func stateTable(_ snapshot: Snapshot) -> Table {
        var rows: [Row] = []
        rows.reserveCapacity(snapshot.queues.count)
        for (index, queue) in snapshot.queues.enumerated() where matches(queue.name, vhost: queue.vhost) {
            let states = snapshot.messageStates[queue.id]
            let name = queue.id.description
            rows.append(Row(queue: queue.id, name: name, source: index,
                            sort: [.text(name), .number(queue.messages), .number(states?.barTotal),
                                   .text(states?.precision.rawValue ?? "")],
                            emphasis: nil))
        }
        var table = Table(columns: Self.columns(.states), rows: rows, empty: "no queues")
        table.fill = { row in
            let queue = snapshot.queues[row.source]
            let states = snapshot.messageStates[queue.id] ?? MessageStates(precision: .unknown)
            row.cells = [row.name, Format.count(queue.messages), "", Format.stateFigures(states)]
            row.bar = states.bar?.0
        }
        return table
    }

    private func nodeTable(_ snapshot: Snapshot) -> Table {
        var leaders: [String: Int] = [:]
        for quorum in snapshot.cluster.quorumQueues { if let leader = quorum.leader { leaders[leader, default: 0] += 1 } }
        var rows: [Row] = []
        var cells: [[String]] = []
        for node in snapshot.nodes {
            var alarms: [String] = []
            if node.memoryAlarm { alarms.append("memory") }
            if node.diskFreeAlarm { alarms.append("disk") }
            if !node.partitions.isEmpty { alarms.append("partition") }
            let memory = "\(Format.bytes(node.memoryUsed))/\(Format.bytes(node.memoryLimit))"
            let disk = "\(Format.bytes(node.diskFree))/\(Format.bytes(node.diskFreeLimit))"
            let usage = node.memoryLimit.flatMap { limit in node.memoryUsed.map { Double($0) / Double(max(1, limit)) } }
            cells.append([node.name, node.running ? "yes" : "DOWN", memory, disk,
                          alarms.isEmpty ? "-" : alarms.joined(separator: ","), "\(leaders[node.name] ?? 0)"])
            rows.append(Row(queue: nil, name: node.name, source: cells.count - 1,
                            sort: [.text(node.name), .text(node.running ? "yes" : "DOWN"), .number(usage),
                                   .number(node.diskFree), .text(alarms.joined()), .number(leaders[node.name])],
                            emphasis: !node.running || !alarms.isEmpty ? .alarm : nil))
        }
        return Table(columns: Self.columns(.nodes), rows: rows,
                     empty: snapshot.gaps.first { $0.contains("nodes") } ?? "no nodes reported", fill: Self.filler(cells))
    }
}

extension SortValue {
    static func number(_ value: Int?) -> SortValue { value.map { .number(Double($0)) } ?? .missing }
    static func number(_ value: Double?) -> SortValue { value.map { .number($0) } ?? .missing }
}
