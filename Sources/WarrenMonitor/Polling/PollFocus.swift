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
    /// The dead-letter sources' statistics, when they were read and how long that took.
    public var sourceStatistics: [QueueInfo] = []
    public var sourceStatisticsAt: Date?
    public var sourceStatisticsDuration: TimeInterval = 0
    /// The management API requests this poll made (the header shows them beside its duration).
    public var requests = 0
    /// Whether this poll followed the large-broker plan.
    public var planned = false

    public init() {}
}
