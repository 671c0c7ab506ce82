import Foundation

/// Where a rate came from.
public enum RateOrigin: String, Sendable, Hashable, Codable {
    /// The management API's own `*_details.rate`.
    case api
    /// Warren's difference of two polls' counters over the time between them.
    case delta
}

/// A per-second rate and its origin.
public struct Rate: Sendable, Hashable, Codable {
    public var perSecond: Double
    public var origin: RateOrigin

    public init(_ perSecond: Double, _ origin: RateOrigin) {
        self.perSecond = perSecond
        self.origin = origin
    }

    /// The API's rate if it gave one, else the counter's growth since the previous poll. `nil`
    /// without either, and when the counter went down (a reset: the queue was re-created or the
    /// stats database restarted), since a negative publish rate means nothing.
    public static func of(_ current: Counter?, previous: Counter?, elapsed: TimeInterval) -> Rate? {
        guard let current else { return nil }
        if let apiRate = current.apiRate { return Rate(apiRate, .api) }
        guard let previous, elapsed > 0, current.total >= previous.total else { return nil }
        return Rate(Double(current.total - previous.total) / elapsed, .delta)
    }

    /// The change of a gauge (e.g. queue depth) per second; may be negative.
    public static func change(_ current: Int?, previous: Int?, elapsed: TimeInterval, api: Double? = nil) -> Rate? {
        if let api { return Rate(api, .api) }
        guard let current, let previous, elapsed > 0 else { return nil }
        return Rate(Double(current - previous) / elapsed, .delta)
    }
}

/// The rates Warren shows for a queue.
public struct QueueRates: Sendable, Hashable, Codable {
    public var publish: Rate?
    public var deliver: Rate?
    public var ack: Rate?
    public var redeliver: Rate?
    /// Growth of the queue's depth (messages) per second.
    public var depth: Rate?

    public init() {}

    public static func derive(_ queue: QueueInfo, previous: QueueInfo?, elapsed: TimeInterval) -> QueueRates {
        var rates = QueueRates()
        let before = previous?.messageStats
        rates.publish = Rate.of(queue.messageStats.publish, previous: before?.publish, elapsed: elapsed)
        rates.deliver = Rate.of(queue.messageStats.deliverGet, previous: before?.deliverGet, elapsed: elapsed)
        rates.ack = Rate.of(queue.messageStats.ack, previous: before?.ack, elapsed: elapsed)
        rates.redeliver = Rate.of(queue.messageStats.redeliver, previous: before?.redeliver, elapsed: elapsed)
        rates.depth = Rate.change(queue.messages, previous: previous?.messages, elapsed: elapsed,
                                  api: queue.messagesRate)
        return rates
    }
}

/// Broker-wide rates.
public struct OverviewRates: Sendable, Hashable, Codable {
    public var publish: Rate?
    public var deliver: Rate?
    public var ack: Rate?
    public var confirm: Rate?
    public var returned: Rate?

    public init() {}

    public static func derive(_ overview: Overview, previous: Overview?, elapsed: TimeInterval) -> OverviewRates {
        var rates = OverviewRates()
        let now = overview.messageStats
        let before = previous?.messageStats
        rates.publish = Rate.of(now.publish, previous: before?.publish, elapsed: elapsed)
        rates.deliver = Rate.of(now.deliverGet, previous: before?.deliverGet, elapsed: elapsed)
        rates.ack = Rate.of(now.ack, previous: before?.ack, elapsed: elapsed)
        rates.confirm = Rate.of(now.confirm, previous: before?.confirm, elapsed: elapsed)
        rates.returned = Rate.of(now.returnUnroutable, previous: before?.returnUnroutable, elapsed: elapsed)
        return rates
    }
}
