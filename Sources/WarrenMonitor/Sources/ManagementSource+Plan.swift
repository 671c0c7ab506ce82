import Foundation

/// The poll plan for a large broker (``PollPlan``): RabbitMQ's management process spends most
/// of a poll building statistics for /api/queues, so only what the screen shows gets them.
///
/// - The inventory: every queue's name, type, state, depth, consumers, arguments and policy
///   (what DLQ detection needs), with `disable_stats=true&columns=`, at most every 20 s and never
///   more often than five times its own duration. Bindings, and exchanges, consumers and
///   connections where there are many, are read along with it.
/// - Every poll: statistics for the page in view (server-side `sort=`, `sort_reverse=`,
///   `page_size=`, and `name=` for the `/` filter), for every dead-letter queue and its sources,
///   and for the open queue (`name=^(?:...)$&use_regex=true`, 60 names a request).
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
        let rereadInventory = plan.inventoryDue(carried?.poll, at: now)
        if rereadInventory {
            record.inventory = try await list(
                ["queues"] + scope, query: Self.noStatistics + [("columns", Self.inventoryColumns.joined(separator: ","))],
                count: &requests
            ).items
            record.inventoryAt = now
            record.inventoryDuration = Date().timeIntervalSince(now)
        }

        let manyExchanges = plan.isLarge(queueCount: totals["exchanges"])
        if rereadInventory || carried == nil {
            try await fetchTopology(into: &state, statistics: !manyExchanges, count: &requests)
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

        var detailed: [QueueInfo] = []
        let columns = ("columns", ManagementOptions.tableColumns.joined(separator: ","))
        if let focus {
            var query = [("page", "1"), ("page_size", String(plan.pageSize(focus))), ("pagination", "true"),
                         ("sort", focus.sort.rawValue), ("sort_reverse", focus.descending ? "true" : "false"), columns]
            if !focus.filter.isEmpty { query.append(("name", focus.filter)) }
            let pageScope = (focus.vhost ?? options.vhost).map { [$0] } ?? []
            detailed = try await list(["queues"] + pageScope, query: query, count: &requests).items
        }
        let topology = DeadLetterTopology.derive(queues: record.inventory, exchanges: state.exchanges,
                                                 bindings: state.bindings, rates: [:])
        let onPage = Set(detailed.map(\.id))
        let named = plan.namedQueues(topology, focus: focus).filter { !onPage.contains($0) }
        let wanted = Set(named)
        for expression in plan.nameExpressions(named) {
            let items: [QueueInfo] = try await list(
                ["queues"] + scope,
                query: [("page", "1"), ("page_size", String(PollPlan.maximumPageSize)), ("pagination", "true"),
                        ("name", expression), ("use_regex", "true"), columns],
                count: &requests
            ).items
            detailed.append(contentsOf: items.filter { wanted.contains($0.id) })
        }
        state.queues = plan.merge(inventory: record.inventory, detailed: detailed)
        state.poll = record
        let age = Int(now.timeIntervalSince(record.inventoryAt ?? now).rounded())
        state.gaps.append("\(record.inventory.count) queues: live statistics for the \(detailed.count) in view, "
            + "dead-letter queues and their sources; the full list is \(age) s old")
    }
}
