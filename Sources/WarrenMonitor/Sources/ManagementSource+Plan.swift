import Foundation

/// The poll plan for a large broker (``PollPlan``): RabbitMQ's management process spends most
/// of a poll building statistics for /api/queues, so only what the screen shows gets them.
///
/// - The inventory: every queue's name, type, state, depth, consumers, arguments and policy
///   (what DLQ detection needs), with `disable_stats=true&columns=`, at most every 30 s and never
///   more often than five times its own duration. Bindings, and exchanges, consumers and
///   connections where there are many, are read along with it.
/// - Every poll: statistics for the page in view (server-side `sort=`, `sort_reverse=`,
///   `page_size=`, and `name=` for the `/` filter), for every dead-letter queue and for the open
///   queue (one by one when few, else `name=` trie expressions with `use_regex=true`).
/// - From time to time (at most every 60 s, never more often than 67 times what they cost):
///   statistics for the dead-letter queues' sources, which stand until they are read again.
/// - Bindings exchange by exchange, without the default exchange's one binding per queue.
extension ManagementSource {
    /// What the inventory reads of each queue.
    public static let inventoryColumns = [
        "name", "vhost", "type", "state", "durable", "auto_delete", "exclusive", "arguments", "policy",
        "effective_policy_definition", "node", "messages", "messages_ready", "messages_unacknowledged", "consumers",
        "leader", "members", "online",
    ]

    func fetchPlanned(
        into state: inout BrokerState, plan: PollPlan, focus: PollFocus?, previous: BrokerState?, requests: inout Int
    ) async throws {
        let scope = options.vhost.map { [$0] } ?? []
        let totals = state.overview.objectTotals
        let carried = previous?.poll.planned == true ? previous : nil
        var record = carried?.poll ?? PollRecord()
        record.planned = true
        let now = Date()
        // The first look at a huge broker: the page in view alone, so that the screen fills in
        // seconds; the inventory (a minute at 100,000 queues on a busy RabbitMQ) comes next poll.
        if carried == nil, let focus, (totals["queues"] ?? 0) >= plan.pageFirstBroker {
            state.queues = try await page(focus, plan: plan, requests: &requests)
            try await fetchClients(into: &state, count: &requests)
            state.exchanges = try await list(["exchanges"] + scope, query: Self.noStatistics, count: &requests).items
            record.inventoryAt = nil
            state.poll = record
            state.gaps.append("\(totals["queues"] ?? 0) queues: the first \(state.queues.count) in view; "
                + "reading the full list and the dead-letter routes")
            return
        }
        let rereadInventory = plan.inventoryDue(carried?.poll, at: now)
        if rereadInventory {
            // The one request whose cost grows with the broker: 100,000 queues take RabbitMQ
            // seconds even without statistics, so it gets far longer than the others.
            record.inventory = try await list(
                ["queues"] + scope, query: Self.noStatistics + [("columns", columns(Self.inventoryColumns))],
                count: &requests, timeout: max(options.timeout, .seconds(120))
            ).items
            record.inventoryAt = now
            record.inventoryDuration = Date().timeIntervalSince(now)
        }

        let manyExchanges = plan.isLarge(queueCount: totals["exchanges"])
        if rereadInventory || carried == nil {
            try await fetchTopology(into: &state, statistics: !manyExchanges, bindingsBySource: plan.bindingsBySource,
                                    count: &requests)
        } else {
            state.bindings = carried?.bindings ?? []
            state.exchanges = manyExchanges
                ? carried?.exchanges ?? []
                : try await list(["exchanges"] + scope, count: &requests).items
        }
        let manyClients = plan.isLarge(queueCount: totals["consumers"]) || plan.isLarge(queueCount: totals["connections"])
        if !manyClients || rereadInventory || carried == nil {
            try await fetchClients(into: &state, count: &requests)
        } else {
            state.consumers = carried?.consumers ?? []
            state.connections = carried?.connections ?? []
        }

        let columns = ("columns", self.columns(ManagementOptions.tableColumns))
        let topology = DeadLetterTopology.derive(queues: record.inventory, exchanges: state.exchanges,
                                                 bindings: state.bindings, rates: [:])
        // Oldest first: in the merge a later entry of a queue replaces an earlier one.
        var detailed: [QueueInfo] = []
        // A command (no focus) lists every queue once: the dead-letter queues' statistics are
        // what it needs (their growth); their sources' would double its time on RabbitMQ.
        if focus != nil {
            if plan.sourcesDue(record, at: now) {
                let started = Date()
                record.sourceStatistics = try await queueStatistics(
                    plan.deadLetterSources(topology), plan: plan, scope: scope, columns: columns, requests: &requests)
                record.sourceStatisticsAt = started
                record.sourceStatisticsDuration = Date().timeIntervalSince(started)
            }
            detailed += record.sourceStatistics
        } else {
            record.sourceStatistics = []
        }
        var fresh: [QueueInfo] = []
        if let focus { fresh = try await page(focus, plan: plan, requests: &requests) }
        let onPage = Set(fresh.map(\.id))
        let named = plan.queuesEveryPoll(topology, focus: focus).filter { !onPage.contains($0) }
        fresh += try await queueStatistics(named, plan: plan, scope: scope, columns: columns, requests: &requests)
        detailed += fresh
        state.queues = plan.merge(inventory: record.inventory, detailed: detailed)
        state.poll = record
        state.gaps.append(focus == nil
            ? "\(record.inventory.count) queues: rates for the \(detailed.count) dead-letter queues only "
                + "(--stats asks RabbitMQ for every queue's, which is slow at this size)"
            : "\(record.inventory.count) queues: rates for the \(fresh.count) in view and the dead-letter queues, "
                + "the \(record.sourceStatistics.count) dead-letter sources' every \(Int(plan.sourceInterval(record).rounded())) s "
                + "(the rest of the list is re-read every \(Int(plan.inventoryInterval(record).rounded())) s)")
    }
}

extension ManagementSource {
    /// The page in view, with statistics: server-side sort, size and `/` filter.
    func page(_ focus: PollFocus, plan: PollPlan, requests: inout Int) async throws -> [QueueInfo] {
        var query = [("page", "1"), ("page_size", String(plan.pageSize(focus))), ("pagination", "true"),
                     ("columns", columns(ManagementOptions.tableColumns))]
        // RabbitMQ lists by name already; asking it to sort by name costs it ten times more.
        if focus.sort != .name || focus.descending {
            query += [("sort", dialect.queueField(focus.sort.rawValue)), ("sort_reverse", focus.descending ? "true" : "false")]
        }
        if !focus.filter.isEmpty { query.append(("name", focus.filter)) }
        let pageScope = (focus.vhost ?? options.vhost).map { [$0] } ?? []
        return try await list(["queues"] + pageScope, query: query, count: &requests,
                              timeout: max(options.timeout, .seconds(60))).items
    }

    /// Statistics of the named queues: one by one when they are few, else by trie expressions.
    func queueStatistics(
        _ ids: [QueueID], plan: PollPlan, scope: [String], columns: (String, String), requests: inout Int
    ) async throws -> [QueueInfo] {
        if ids.count <= plan.individualLookups {
            var found: [QueueInfo] = []
            for id in ids {
                do {
                    let json = try await get(["queues", id.vhost, id.name], query: [columns], count: &requests)
                    if let queue = QueueInfo(json: json, dialect: dialect) { found.append(queue) }
                } catch MonitorError.notFound {
                    // Deleted since the inventory.
                }
            }
            return found
        }
        let wanted = Set(ids)
        var found: [QueueInfo] = []
        for expression in plan.nameExpressions(ids) {
            let items: [QueueInfo] = try await list(
                ["queues"] + scope,
                query: [("page", "1"), ("page_size", String(PollPlan.maximumPageSize)), ("pagination", "true"),
                        ("name", expression), ("use_regex", "true"), columns],
                count: &requests
            ).items
            found.append(contentsOf: items.filter { wanted.contains($0.id) })
        }
        return found
    }
}
