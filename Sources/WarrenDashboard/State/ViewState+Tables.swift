import Foundation
import WarrenMonitor

extension ViewState {
    /// The table of a pane as it is shown: filtered by name and vhost, sorted by the pane's column.
    /// The two tables of every queue are kept until the snapshot, filter or sort changes: with
    /// 100,000 queues, filtering and sorting them for each frame would cost more than the rest.
    public func table(_ pane: Pane) -> Table {
        guard pane == .queues || pane == .states, let snapshot else { return sortedTable(pane) }
        let list = list(pane)
        let key = TableMemo.Key(snapshot: ObjectIdentifier(snapshot.identity), pane: pane, filter: filter,
                                vhost: vhost, sortColumn: list.sortColumn, descending: list.sortDescending)
        if let table = tableMemo.table(for: key) { return table }
        let table = sortedTable(pane)
        tableMemo.store(table, for: key)
        return table
    }

    /// The States pane's totals over the queues the filter shows: alpha, beta (or beta+gamma),
    /// gamma, delta; bytes ready, bytes unacked and persistent messages (brokers without states);
    /// and which precisions they come in. Kept like the tables.
    func stateTotals(_ snapshot: Snapshot) -> ([Int], Set<MessageStatePrecision>) {
        let key = TableMemo.Key(snapshot: ObjectIdentifier(snapshot.identity), pane: .states, filter: filter,
                                vhost: vhost, sortColumn: -1, descending: false)
        if let totals = tableMemo.totals(for: key) { return totals }
        var totals = [Int](repeating: 0, count: 7)
        var precisions: Set<MessageStatePrecision> = []
        for queue in snapshot.queues where matches(queue.name, vhost: queue.vhost) {
            let states = snapshot.messageStates[queue.id] ?? MessageStates(precision: .unknown)
            precisions.insert(states.precision)
            switch states.precision {
            case .exact:
                totals[0] += states.alpha ?? 0
                totals[1] += states.beta ?? 0
                totals[2] += states.gamma ?? 0
                totals[3] += states.delta ?? 0
            case .classicQueues:
                totals[0] += states.alpha ?? 0
                totals[1] += states.betaGamma ?? 0
                totals[3] += states.delta ?? 0
            case .ramVersusPagedOut, .quorumInMemory:
                totals[0] += states.inMemory ?? 0
                totals[3] += states.notInMemory ?? 0
            case .segmentFiles:
                totals[4] += states.readyBytes ?? 0
                totals[5] += states.unackedBytes ?? 0
                totals[6] += states.persistent ?? 0
            case .unknown:
                break
            }
        }
        tableMemo.store(totals: (totals, precisions), for: key)
        return (totals, precisions)
    }

    private func sortedTable(_ pane: Pane) -> Table {
        var table = unsortedTable(pane)
        let state = list(pane)
        let descending = state.sortDescending
        // Ties keep the name order, so the list does not jump between polls.
        // Ties keep the snapshot's order (RabbitMQ lists by vhost and name), so rows do not jump.
        table.entries.sort { a, b in
            if a.key == b.key { return a.source < b.source }
            return descending ? b.key < a.key : a.key < b.key
        }
        return table
    }

    func matches(_ name: String, vhost queueVhost: String) -> Bool {
        if let vhost, vhost != queueVhost { return false }
        return filter.isEmpty || name.localizedCaseInsensitiveContains(filter)
    }

    private func unsortedTable(_ pane: Pane) -> Table {
        guard let snapshot else { return Table(columns: Self.columns(pane), entries: [], empty: "waiting for the first poll", make: { _ in
            Row(queue: nil, name: "", emphasis: nil, cells: [])
        }) }
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
        let column = list(.queues).sortColumn
        var entries: [Entry] = []
        entries.reserveCapacity(snapshot.queues.count)
        for index in snapshot.queues.indices where matches(snapshot.queues[index].name, vhost: snapshot.queues[index].vhost) {
            entries.append(Entry(key: queueKey(column, snapshot.queues[index], snapshot: snapshot), source: index))
        }
        return Table(columns: Self.columns(.queues), entries: entries,
                     empty: filter.isEmpty ? "no queues" : "no queue matches") { index in
            let queue = snapshot.queues[index]
            let rates = snapshot.queueRates[queue.id]
            let odd = !(queue.state == "running" || queue.state == nil || queue.state == "idle")
            return Row(queue: queue.id, name: queue.id.description,
                       emphasis: alertedQueues.contains(queue.id) ? .alarm
                           : dlqs.contains(queue.id) ? .deadLetter : (odd ? .warning : nil),
                       cells: [queue.id.description, queue.type, queue.state ?? "-", Format.count(queue.messagesReady),
                               Format.count(queue.messagesUnacknowledged), Format.rate(rates?.publish?.perSecond),
                               Format.rate(rates?.deliver?.perSecond), Format.count(queue.consumers),
                               snapshot.messageStates[queue.id]?.barStandIn ?? ""],
                       bar: snapshot.messageStates[queue.id]?.bar?.0)
        }
    }

    /// Only the sort column's value is computed for each of (possibly) thousands of queues.
    private func queueKey(_ column: Int, _ queue: QueueInfo, snapshot: Snapshot) -> SortValue {
        switch column {
        case 0: return .text(queue.id.description)
        case 1: return .text(queue.type)
        case 2: return .text(queue.state ?? "")
        case 3: return .number(queue.messagesReady)
        case 4: return .number(queue.messagesUnacknowledged)
        case 5: return .number(snapshot.queueRates[queue.id]?.publish?.perSecond)
        case 6: return .number(snapshot.queueRates[queue.id]?.deliver?.perSecond)
        case 7: return .number(queue.consumers)
        default: return .number(snapshot.messageStates[queue.id]?.barTotal)
        }
    }

    private func exchangeTable(_ snapshot: Snapshot) -> Table {
        var bindingCounts: [String: Int] = [:]
        for binding in snapshot.bindings where !binding.source.isEmpty {
            bindingCounts[binding.vhost + "\u{0}" + binding.source, default: 0] += 1
        }
        let before = Dictionary((previous?.exchanges ?? []).map { ($0.vhost + "\u{0}" + $0.name, $0) },
                                uniquingKeysWith: { a, _ in a })
        let elapsed = previous.map { snapshot.takenAt.timeIntervalSince($0.takenAt) } ?? 0
        var rows: [(Entry, Row)] = []
        for exchange in snapshot.exchanges where matches(exchange.name, vhost: exchange.vhost) {
            let key = exchange.vhost + "\u{0}" + exchange.name
            let old = before[key]?.messageStats
            let inRate = Rate.of(exchange.messageStats.publishIn, previous: old?.publishIn, elapsed: elapsed)?.perSecond
            let outRate = Rate.of(exchange.messageStats.publishOut, previous: old?.publishOut, elapsed: elapsed)?
                .perSecond
            let name = exchange.name.isEmpty ? "(default)" : exchange.name
            let shown = exchange.vhost == "/" ? name : "\(exchange.vhost)/\(name)"
            let bindings = exchange.name.isEmpty ? nil : bindingCounts[key] ?? 0
            let cells: [String] = [shown, exchange.type, Format.count(bindings), Format.rate(inRate), Format.rate(outRate)]
            rows.append((Entry(key: pick(.exchanges, [.text(shown), .text(exchange.type), .number(bindings), .number(inRate), .number(outRate)]), source: rows.count),
                            Row(queue: nil, name: shown, emphasis: exchange.internal ? .inactiveForeground : nil, cells: cells)))
        }
        return Self.small(Self.columns(.exchanges), rows, empty: "no exchanges")
    }

    /// A small table's value in its pane's sort column, from all its columns' values.
    func pick(_ pane: Pane, _ values: [SortValue]) -> SortValue {
        let column = list(pane).sortColumn
        return values.indices.contains(column) ? values[column] : .missing
    }

    /// Small tables make every row up front.
    static func small(_ columns: [Column], _ rows: [(Entry, Row)], empty: String) -> Table {
        let made = rows.map(\.1)
        return Table(columns: columns, entries: rows.map(\.0), empty: empty) { made[$0] }
    }

    private func consumerTable(_ snapshot: Snapshot) -> Table {
        var rows: [(Entry, Row)] = []
        for consumer in snapshot.consumers
        where matches(consumer.queue.name, vhost: consumer.queue.vhost) || matches(consumer.consumerTag, vhost: consumer.queue.vhost) {
            let connection = consumer.connectionName.map { name in
                consumer.channelNumber.map { "\(name) (\($0))" } ?? name
            } ?? "-"
            let ack = consumer.ackRequired ? "manual" : "auto"
            let cells: [String] = [consumer.consumerTag, consumer.queue.description, connection, Format.count(consumer.prefetchCount),
                          ack, consumer.active ? "yes" : "no"]
            rows.append((Entry(key: pick(.consumers, [.text(consumer.consumerTag), .text(consumer.queue.description), .text(connection),
                                   .number(consumer.prefetchCount), .text(ack), .text(consumer.active ? "yes" : "no")]), source: rows.count),
                            Row(queue: consumer.queue, name: consumer.consumerTag, emphasis: consumer.active ? nil : .inactiveForeground, cells: cells)))
        }
        return Self.small(Self.columns(.consumers), rows, empty: "no consumers")
    }

    private func deadLetterTable(_ snapshot: Snapshot) -> Table {
        var rows: [(Entry, Row)] = []
        for dlq in snapshot.deadLetters.queues where matches(dlq.queue.name, vhost: dlq.queue.vhost) {
            let perMinute = dlq.growth.map { $0.perSecond * 60 }
            let sources = dlq.sources.isEmpty ? "(by name)" : dlq.sources.map(\.description).joined(separator: ",")
            let reasons = topReasons(dlq.queue)
            let cells: [String] = [dlq.queue.description, Format.count(dlq.depth), Format.signedRate(perMinute), sources, reasons]
            rows.append((Entry(key: pick(.dlq, [.text(dlq.queue.description), .number(dlq.depth), .number(perMinute), .text(sources),
                                   .text(reasons)]), source: rows.count),
                            Row(queue: dlq.queue, name: dlq.queue.description, emphasis: (dlq.depth ?? 0) > 0 ? .deadLetter : nil, cells: cells)))
        }
        return Self.small(Self.columns(.dlq), rows, empty: "no dead-letter queues")
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
        let column = list(.states).sortColumn
        var entries: [Entry] = []
        entries.reserveCapacity(snapshot.queues.count)
        for index in snapshot.queues.indices where matches(snapshot.queues[index].name, vhost: snapshot.queues[index].vhost) {
            let key: SortValue
            switch column {
            case 0: key = .text(snapshot.queues[index].id.description)
            case 1: key = .number(snapshot.queues[index].messages)
            case 2: key = .number(snapshot.messageStates[snapshot.queues[index].id]?.barTotal)
            default:
                key = .text((snapshot.messageStates[snapshot.queues[index].id]?.precision ?? .unknown).rawValue)
            }
            entries.append(Entry(key: key, source: index))
        }
        return Table(columns: Self.columns(.states), entries: entries, empty: "no queues") { index in
            let queue = snapshot.queues[index]
            let states = snapshot.messageStates[queue.id] ?? MessageStates(precision: .unknown)
            return Row(queue: queue.id, name: queue.id.description, emphasis: nil,
                       cells: [queue.id.description, Format.count(queue.messages), states.barStandIn, Format.stateFigures(states)],
                       bar: states.bar?.0)
        }
    }

    private func nodeTable(_ snapshot: Snapshot) -> Table {
        var leaders: [String: Int] = [:]
        for quorum in snapshot.cluster.quorumQueues { if let leader = quorum.leader { leaders[leader, default: 0] += 1 } }
        var rows: [(Entry, Row)] = []
        for node in snapshot.nodes {
            var alarms: [String] = []
            if node.memoryAlarm { alarms.append("memory") }
            if node.diskFreeAlarm { alarms.append("disk") }
            if !node.partitions.isEmpty { alarms.append("partition") }
            let memory = "\(Format.bytes(node.memoryUsed))/\(Format.bytes(node.memoryLimit))"
            // LavinMQ reports the free space but no limit: then the free space alone.
            let disk = node.diskFree != nil && node.diskFreeLimit == nil ? Format.bytes(node.diskFree)
                : "\(Format.bytes(node.diskFree))/\(Format.bytes(node.diskFreeLimit))"
            let usage = node.memoryLimit.flatMap { limit in node.memoryUsed.map { Double($0) / Double(max(1, limit)) } }
            let cells: [String] = [node.name, node.running ? "yes" : "DOWN", memory, disk,
                          alarms.isEmpty ? "-" : alarms.joined(separator: ","), "\(leaders[node.name] ?? 0)"]
            rows.append((Entry(key: pick(.nodes, [.text(node.name), .text(node.running ? "yes" : "DOWN"), .number(usage),
                                   .number(node.diskFree), .text(alarms.joined()), .number(leaders[node.name])]), source: rows.count),
                            Row(queue: nil, name: node.name, emphasis: !node.running || !alarms.isEmpty ? .alarm : nil, cells: cells)))
        }
        return Self.small(Self.columns(.nodes), rows, empty: snapshot.gaps.first { $0.contains("nodes") } ?? "no nodes reported")
    }
}

extension SortValue {
    static func number(_ value: Int?) -> SortValue { value.map { .number(Double($0)) } ?? .missing }
    static func number(_ value: Double?) -> SortValue { value.map { .number($0) } ?? .missing }
}
