import Foundation

/// A counter and, when the API gave one, its rate per second (from a `*_details.rate` field).
public struct Counter: Sendable, Hashable, Codable {
    public var total: Int
    public var apiRate: Double?

    public init(total: Int, apiRate: Double? = nil) {
        self.total = total
        self.apiRate = apiRate
    }

    /// Reads `name` and `name_details.rate` from an object (`message_stats` or a resource).
    init?(_ object: JSON?, _ name: String) {
        guard let object, let total = object[name]?.int else { return nil }
        self.init(total: total, apiRate: object[path: name + "_details", "rate"]?.double)
    }
}

/// The message counters of `message_stats` that Warren shows and turns into rates.
public struct MessageStats: Sendable, Hashable, Codable {
    public var publish: Counter?
    public var deliverGet: Counter?
    public var ack: Counter?
    public var redeliver: Counter?
    public var confirm: Counter?
    public var returnUnroutable: Counter?
    public var dropUnroutable: Counter?
    /// Exchanges count `publish_in` / `publish_out` rather than `publish`.
    public var publishIn: Counter?
    public var publishOut: Counter?
    /// Messages delivered to consumers (`deliver` + `deliver_no_ack`, not `get`) in the queue's
    /// life: above zero, the queue had a consumer once.
    public var consumerDeliveries: Int?

    public init() {}

    init(_ json: JSON?) {
        publish = Counter(json, "publish")
        deliverGet = Counter(json, "deliver_get")
        ack = Counter(json, "ack")
        redeliver = Counter(json, "redeliver")
        confirm = Counter(json, "confirm")
        returnUnroutable = Counter(json, "return_unroutable")
        dropUnroutable = Counter(json, "drop_unroutable")
        publishIn = Counter(json, "publish_in")
        publishOut = Counter(json, "publish_out")
        let delivered = [json?["deliver"]?.int, json?["deliver_no_ack"]?.int].compactMap { $0 }
        consumerDeliveries = delivered.isEmpty ? nil : delivered.reduce(0, +)
    }
}

/// `GET /api/overview`.
public struct Overview: Sendable, Hashable, Codable {
    public var clusterName: String?
    public var node: String?
    /// Which broker this is (``BrokerIdentity``); nil when nothing said.
    public var broker: BrokerIdentity?
    public var managementVersion: String?
    public var messages: Int?
    public var messagesReady: Int?
    public var messagesUnacknowledged: Int?
    public var messageStats: MessageStats
    public var objectTotals: [String: Int]

    public init(json: JSON) {
        clusterName = json["cluster_name"]?.string
        node = json["node"]?.string
        broker = BrokerIdentity(overview: json)
        managementVersion = json["management_version"]?.string
        messages = json[path: "queue_totals", "messages"]?.int
        messagesReady = json[path: "queue_totals", "messages_ready"]?.int
        messagesUnacknowledged = json[path: "queue_totals", "messages_unacknowledged"]?.int
        messageStats = MessageStats(json["message_stats"])
        objectTotals = (json["object_totals"]?.object ?? [:]).compactMapValues(\.int)
    }

    public init() {
        messageStats = MessageStats()
        objectTotals = [:]
    }
}

/// One entry of `GET /api/nodes`.
public struct NodeInfo: Sendable, Hashable, Codable {
    public var name: String
    public var running: Bool
    public var type: String?
    public var memoryAlarm: Bool
    public var diskFreeAlarm: Bool
    public var partitions: [String]
    public var memoryUsed: Int?
    public var memoryLimit: Int?
    public var diskFree: Int?
    public var diskFreeLimit: Int?
    public var fdUsed: Int?
    public var fdTotal: Int?
    public var uptimeMilliseconds: Int?

    public init(name: String, running: Bool, memoryAlarm: Bool = false, diskFreeAlarm: Bool = false,
                partitions: [String] = []) {
        self.name = name
        self.running = running
        self.memoryAlarm = memoryAlarm
        self.diskFreeAlarm = diskFreeAlarm
        self.partitions = partitions
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        self.name = name
        // A node that is down is listed with running=false and few other keys.
        running = json["running"]?.bool ?? false
        type = json["type"]?.string
        memoryAlarm = json["mem_alarm"]?.bool ?? false
        diskFreeAlarm = json["disk_free_alarm"]?.bool ?? false
        partitions = (json["partitions"]?.array ?? []).compactMap(\.string)
        memoryUsed = json["mem_used"]?.int
        memoryLimit = json["mem_limit"]?.int
        diskFree = json["disk_free"]?.int
        diskFreeLimit = json["disk_free_limit"]?.int
        fdUsed = json["fd_used"]?.int
        fdTotal = json["fd_total"]?.int
        uptimeMilliseconds = json["uptime"]?.int
    }
}

/// One entry of `GET /api/vhosts`.
public struct VhostInfo: Sendable, Hashable, Codable {
    public var name: String
    public var messages: Int?
    public var messagesReady: Int?
    public var messagesUnacknowledged: Int?
    public var defaultQueueType: String?

    public init(name: String) {
        self.name = name
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        self.name = name
        messages = json["messages"]?.int
        messagesReady = json["messages_ready"]?.int
        messagesUnacknowledged = json["messages_unacknowledged"]?.int
        defaultQueueType = json["default_queue_type"]?.string
    }
}

/// A queue's identity: virtual host and name.
public struct QueueID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var vhost: String
    public var name: String

    public init(vhost: String = "/", name: String) {
        self.vhost = vhost
        self.name = name
    }

    public static func < (a: QueueID, b: QueueID) -> Bool { (a.vhost, a.name) < (b.vhost, b.name) }
    public var description: String { vhost == "/" ? name : "\(vhost)/\(name)" }
}
