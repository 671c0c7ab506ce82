import Foundation

/// What the screen needs live figures for: the queue rows in view, in the current sort and
/// filter, and the queue that is open. The dashboard hands it to the poller; on a large broker
/// only these queues (with every dead-letter queue and its sources) are asked for statistics.
public struct PollFocus: Sendable, Hashable {
    /// A queue field the management API sorts by (`sort=`).
    public enum SortKey: String, Sendable, Hashable {
        case name
        case type
        case state
        case messages
        case messagesReady = "messages_ready"
        case messagesUnacknowledged = "messages_unacknowledged"
        case consumers
        case publishRate = "message_stats.publish_details.rate"
        case deliverRate = "message_stats.deliver_get_details.rate"
    }

    public var sort: SortKey
    public var descending: Bool
    /// The `/` filter: a case-insensitive substring of the name, as RabbitMQ's `name=` without
    /// `use_regex` matches it.
    public var filter: String
    public var vhost: String?
    /// Rows from the top of the sorted, filtered list that are on screen or above it.
    public var rows: Int
    public var openQueue: QueueID?

    public init(sort: SortKey = .name, descending: Bool = false, filter: String = "", vhost: String? = nil,
                rows: Int = 50, openQueue: QueueID? = nil) {
        self.sort = sort
        self.descending = descending
        self.filter = filter
        self.vhost = vhost
        self.rows = rows
        self.openQueue = openQueue
    }
}

/// What the last polls cost and when the queue list was last read in full, carried from one
/// poll to the next so the plan can adapt. Part of ``BrokerState``.
public struct PollRecord: Sendable, Hashable {
    /// When the full queue list (the inventory) was read, and how long that took.
    public var inventoryAt: Date?
    public var inventoryDuration: TimeInterval = 0
    /// The inventory as read: names, depths, arguments and policies of every queue, no statistics.
    public var inventory: [QueueInfo] = []
    /// The management API requests this poll made.
    public var requests = 0
    /// Whether this poll followed the large-broker plan.
    public var planned = false

    public init() {}
}

/// The poll plan for a large broker, as a value: when to read the full queue list, what to ask
/// statistics for, how to merge. No I/O, no clock of its own.
public struct PollPlan: Sendable, Hashable {
    /// From this many queues on, a poll asks for statistics only for what the screen needs.
    /// Below it, one /api/queues with statistics costs RabbitMQ little and gives every rate.
    public var largeBroker = 1_000
    /// The full list is read at most this often at scale (a few times a minute) ...
    public var minimumInventoryInterval: TimeInterval = 20
    /// ... and never more often than this many times its own duration.
    public var inventoryCostFactor: Double = 5
    /// Names per `name=^(?:a|b|...)$` request; keeps URLs under a few kilobytes.
    public var namesPerRequest = 60
    /// RabbitMQ's largest page.
    public static let maximumPageSize = 500

    public init() {}

    public func isLarge(queueCount: Int?) -> Bool {
        (queueCount ?? 0) >= largeBroker
    }

    /// Whether the inventory must be read again now.
    public func inventoryDue(_ record: PollRecord?, at now: Date) -> Bool {
        guard let record, let at = record.inventoryAt else { return true }
        let interval = max(minimumInventoryInterval, inventoryCostFactor * record.inventoryDuration)
        return now.timeIntervalSince(at) >= interval
    }

    /// The queues outside the screen's page that still need statistics: every dead-letter queue,
    /// its sources, and the open queue.
    public func namedQueues(_ topology: DeadLetterTopology, focus: PollFocus?) -> [QueueID] {
        var wanted = Set<QueueID>()
        for dlq in topology.queues {
            wanted.insert(dlq.queue)
            wanted.formUnion(dlq.sources)
        }
        if let open = focus?.openQueue { wanted.insert(open) }
        return wanted.sorted()
    }

    /// `name` values that match exactly the given names (RabbitMQ's `use_regex` is caseless, so
    /// a request may bring back a few more; they are dropped by identity).
    public func nameExpressions(_ ids: [QueueID]) -> [String] {
        let names = Array(Set(ids.map(\.name))).sorted()
        return stride(from: 0, to: names.count, by: namesPerRequest).map { start in
            let chunk = names[start..<min(names.count, start + namesPerRequest)]
            return "^(?:" + chunk.map(Self.escapeRegex).joined(separator: "|") + ")$"
        }
    }

    /// The page the screen shows: its size covers every row in view.
    public func pageSize(_ focus: PollFocus) -> Int {
        min(Self.maximumPageSize, max(1, focus.rows))
    }

    /// The inventory with the freshly detailed queues in place of their inventory entries.
    public func merge(inventory: [QueueInfo], detailed: [QueueInfo]) -> [QueueInfo] {
        guard !detailed.isEmpty else { return inventory }
        var byID: [QueueID: QueueInfo] = [:]
        byID.reserveCapacity(detailed.count)
        for queue in detailed { byID[queue.id] = queue }
        var merged = inventory
        for index in merged.indices {
            if let fresh = byID.removeValue(forKey: merged[index].id) { merged[index] = fresh }
        }
        // Queues declared since the inventory was read.
        merged.append(contentsOf: byID.values.sorted { $0.id < $1.id })
        return merged
    }

    /// PCRE metacharacters escaped, so a queue name matches only itself.
    static func escapeRegex(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        for character in name {
            if "\\^$.|?*+()[]{}/-#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
