import Foundation

/// What counts as an alert. A threshold left `nil` (or `false`) is not checked; every figure
/// fires when it is strictly above its threshold.
public struct AlertThresholds: Sendable, Hashable, Codable {
    /// Messages in a dead-letter queue.
    public var dlqDepth: Int?
    /// Growth of a dead-letter queue's depth, in messages a minute.
    public var dlqGrowthPerMinute: Int?
    /// Ready messages in any queue.
    public var ready: Int?
    /// A queue with no consumers that had some.
    public var noConsumers: Bool
    /// A memory or disk alarm on a node.
    public var nodeAlarms: Bool

    public init(dlqDepth: Int? = nil, dlqGrowthPerMinute: Int? = nil, ready: Int? = nil, noConsumers: Bool = false,
                nodeAlarms: Bool = true) {
        self.dlqDepth = dlqDepth
        self.dlqGrowthPerMinute = dlqGrowthPerMinute
        self.ready = ready
        self.noConsumers = noConsumers
        self.nodeAlarms = nodeAlarms
    }

    /// True when no threshold is set (not even node alarms).
    public var isEmpty: Bool {
        dlqDepth == nil && dlqGrowthPerMinute == nil && ready == nil && !noConsumers && !nodeAlarms
    }
}

/// One threshold crossed by one queue or node.
public struct Alert: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case nodeAlarm = "node-alarm"
        case dlqDepth = "dlq-depth"
        case dlqGrowth = "dlq-growth"
        case ready
        case noConsumers = "no-consumers"
    }

    public var kind: Kind
    /// The queue's virtual host; `nil` for a node alarm.
    public var vhost: String?
    /// The queue's name, or the node's.
    public var object: String
    /// The figure that crossed the threshold (depth, messages a minute, ready messages, the
    /// consumers before; 1 for an alarm).
    public var figure: Double
    /// The threshold it crossed, when the kind has one.
    public var threshold: Int?
    /// What crossed what, e.g. `depth=120 > 100`.
    public var message: String

    public init(kind: Kind, vhost: String?, object: String, figure: Double, threshold: Int?, message: String) {
        self.kind = kind
        self.vhost = vhost
        self.object = object
        self.figure = figure
        self.threshold = threshold
        self.message = message
    }

    /// The queue it is about; `nil` for a node alarm.
    public var queue: QueueID? { vhost.map { QueueID(vhost: $0, name: object) } }

    /// The line `warren check` prints, e.g. `ALERT dlq-depth vhost=/ queue=orders.dlq depth=120 > 100`.
    public var line: String {
        if let vhost { return "ALERT \(kind.rawValue) vhost=\(vhost) queue=\(object) \(message)" }
        return "ALERT \(kind.rawValue) node=\(object) \(message)"
    }
}

/// Evaluates alert thresholds on a snapshot.
public enum Alerts {
    /// The alerts `snapshot` raises: node alarms first, then by queue, in the order of ``Alert/Kind``.
    /// `previous` (the last snapshot of the same source) lets "no consumers" see a queue that lost
    /// its consumers between two polls; without it (and beside it), a queue counts as having had
    /// consumers when its statistics show messages delivered to consumers in its life.
    /// `vhost`, when given, limits the queues looked at to that virtual host.
    public static func evaluate(_ snapshot: Snapshot, previous: Snapshot? = nil, thresholds: AlertThresholds,
                                vhost: String? = nil) -> [Alert] {
        var alerts: [Alert] = []
        if thresholds.nodeAlarms {
            for alarm in snapshot.cluster.alarms.sorted(by: { ($0.node, $0.kind.rawValue) < ($1.node, $1.kind.rawValue) }) {
                let name = alarm.kind == .memory ? "memory" : "disk"
                alerts.append(Alert(kind: .nodeAlarm, vhost: nil, object: alarm.node, figure: 1, threshold: nil,
                                    message: "alarm=\(name)"))
            }
        }
        let wanted = snapshot.queues.filter { vhost == nil || $0.vhost == vhost }.sorted { $0.id < $1.id }
        for queue in wanted {
            if let dlq = snapshot.deadLetters.queue(queue.id) {
                if let limit = thresholds.dlqDepth, let depth = dlq.depth, depth > limit {
                    alerts.append(Alert(kind: .dlqDepth, vhost: queue.vhost, object: queue.name, figure: Double(depth),
                                        threshold: limit, message: "depth=\(depth) > \(limit)"))
                }
                if let limit = thresholds.dlqGrowthPerMinute, let growth = dlq.growth {
                    let perMinute = growth.perSecond * 60
                    if perMinute > Double(limit) {
                        alerts.append(Alert(kind: .dlqGrowth, vhost: queue.vhost, object: queue.name, figure: perMinute,
                                            threshold: limit, message: "growth=\(Self.figure(perMinute))/min > \(limit)"))
                    }
                }
            }
            if let limit = thresholds.ready, let ready = queue.messagesReady, ready > limit {
                alerts.append(Alert(kind: .ready, vhost: queue.vhost, object: queue.name, figure: Double(ready),
                                    threshold: limit, message: "ready=\(ready) > \(limit)"))
            }
            if thresholds.noConsumers, queue.consumers == 0 {
                if let before = previous?.queue(queue.name, vhost: queue.vhost)?.consumers, before > 0 {
                    alerts.append(Alert(kind: .noConsumers, vhost: queue.vhost, object: queue.name, figure: Double(before),
                                        threshold: nil, message: "consumers=0 (had \(before))"))
                } else if let delivered = queue.messageStats.consumerDeliveries, delivered > 0 {
                    alerts.append(Alert(kind: .noConsumers, vhost: queue.vhost, object: queue.name, figure: 0,
                                        threshold: nil, message: "consumers=0 (delivered \(delivered) to consumers before)"))
                }
            }
        }
        return alerts
    }

    /// A rate with at most one decimal, without a trailing `.0`.
    static func figure(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }
}
