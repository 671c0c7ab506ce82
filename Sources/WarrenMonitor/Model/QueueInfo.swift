import Foundation

/// The raw figures a classic queue reports about where its messages are
/// (`backing_queue_status` on RabbitMQ <= 3.11), or the exact state counts Warren's embedded broker
/// reports. ``MessageStates`` turns these into what a dashboard shows.
public struct BackingQueueStatus: Sendable, Hashable, Codable {
    public var mode: String?
    public var version: Int?
    public var q1: Int?
    public var q2: Int?
    public var q3: Int?
    public var q4: Int?
    /// The message count of the `delta` term (`["delta", start, count, transient, end]`).
    public var deltaCount: Int?
    public var length: Int?
    /// Exact per-state counts, when the broker tracks them (the embedded broker does).
    public var alpha: Int?
    public var beta: Int?
    public var gamma: Int?
    public var delta: Int?

    public init() {}

    init(json: JSON) {
        mode = json["mode"]?.string
        version = json["version"]?.int
        q1 = json["q1"]?.int
        q2 = json["q2"]?.int
        q3 = json["q3"]?.int
        q4 = json["q4"]?.int
        if let term = json["delta"]?.array, term.count >= 3 {
            deltaCount = term[2].int
        }
        length = json["len"]?.int
        alpha = json["alpha"]?.int
        beta = json["beta"]?.int
        gamma = json["gamma"]?.int
        // An integer `delta` (rather than RabbitMQ's tuple) is an exact count.
        delta = json["delta"]?.int
    }
}

/// One entry of `GET /api/queues`, as much of it as the API gave (paged or column-trimmed
/// responses leave most fields out).
public struct QueueInfo: Sendable, Hashable, Codable {
    public var id: QueueID
    /// `classic`, `quorum`, `stream`, or whatever else a broker reports.
    public var type: String
    public var durable: Bool
    public var autoDelete: Bool
    public var exclusive: Bool
    public var arguments: [String: JSON]
    public var policy: String?
    public var effectivePolicy: [String: JSON]
    public var node: String?
    public var state: String?
    public var messages: Int?
    public var messagesReady: Int?
    public var messagesUnacknowledged: Int?
    public var consumers: Int?
    public var messageBytes: Int?
    /// Bytes of the ready and of the unacknowledged messages' bodies.
    public var messageBytesReady: Int?
    public var messageBytesUnacknowledged: Int?
    public var messagesRAM: Int?
    public var messagesPagedOut: Int?
    public var messagesPersistent: Int?
    public var messagesDLX: Int?
    public var memory: Int?
    public var messagesRate: Double?
    /// Kept out of line: most queues of a large broker's snapshot have no statistics, and inline
    /// these two made every queue 752 bytes before its strings.
    private var statsBox: Boxed<MessageStats>?
    private var backingBox: Boxed<BackingQueueStatus>?
    public var messageStats: MessageStats {
        get { statsBox?.value ?? MessageStats() }
        set { statsBox = Boxed.unlessEmpty(newValue) }
    }
    public var backingQueueStatus: BackingQueueStatus? {
        get { backingBox?.value }
        set { backingBox = newValue.map(Boxed.init) }
    }
    /// Quorum queues: the leader, the members and the members that are online.
    public var leader: String?
    public var members: [String]?
    public var online: [String]?
    public var idleSince: String?

    public var name: String { id.name }
    public var vhost: String { id.vhost }
    public var isQuorum: Bool { type == "quorum" }

    public init(id: QueueID, type: String = "classic", arguments: [String: JSON] = [:],
                effectivePolicy: [String: JSON] = [:], messages: Int? = 0, consumers: Int? = 0) {
        self.id = id
        self.type = type
        durable = true
        autoDelete = false
        exclusive = false
        self.arguments = arguments
        self.effectivePolicy = effectivePolicy
        self.messages = messages
        messagesReady = messages
        messagesUnacknowledged = 0
        self.consumers = consumers
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        id = QueueID(vhost: json["vhost"]?.string ?? "/", name: name)
        let arguments = json["arguments"]?.object ?? [:]
        self.arguments = arguments
        type = json["type"]?.string ?? arguments["x-queue-type"]?.string ?? "classic"
        durable = json["durable"]?.bool ?? false
        autoDelete = json["auto_delete"]?.bool ?? false
        exclusive = json["exclusive"]?.bool ?? false
        policy = json["policy"]?.string
        effectivePolicy = json["effective_policy_definition"]?.object ?? [:]
        node = json["node"]?.string
        state = json["state"]?.string
        messages = json["messages"]?.int
        messagesReady = json["messages_ready"]?.int
        messagesUnacknowledged = json["messages_unacknowledged"]?.int
        consumers = json["consumers"]?.int
        messageBytes = json["message_bytes"]?.int
        messageBytesReady = json["message_bytes_ready"]?.int
        messageBytesUnacknowledged = json["message_bytes_unacknowledged"]?.int
        messagesRAM = json["messages_ram"]?.int
        messagesPagedOut = json["messages_paged_out"]?.int
        messagesPersistent = json["messages_persistent"]?.int
        messagesDLX = json["messages_dlx"]?.int
        memory = json["memory"]?.int
        messagesRate = json[path: "messages_details", "rate"]?.double
        statsBox = Boxed.unlessEmpty(MessageStats(json["message_stats"]))
        if let status = json["backing_queue_status"], status.object != nil {
            var decoded = BackingQueueStatus(json: status)
            // Warren's embedded broker puts its exact counts in backing_queue_status.message_states.
            if let exact = json["message_states"] ?? status["message_states"] {
                decoded.alpha = exact["alpha"]?.int
                decoded.beta = exact["beta"]?.int
                decoded.gamma = exact["gamma"]?.int
                decoded.delta = exact["delta"]?.int
            }
            backingBox = Boxed(decoded)
        } else if let exact = json["message_states"], exact.object != nil {
            var decoded = BackingQueueStatus()
            decoded.alpha = exact["alpha"]?.int
            decoded.beta = exact["beta"]?.int
            decoded.gamma = exact["gamma"]?.int
            decoded.delta = exact["delta"]?.int
            backingBox = Boxed(decoded)
        }
        leader = json["leader"]?.string
        members = json["members"]?.array?.compactMap(\.string)
        online = json["online"]?.array?.compactMap(\.string)
        idleSince = json["idle_since"]?.string
    }

    /// A setting from the queue's arguments, else from its effective policy (arguments win, as
    /// in RabbitMQ). `key` is the argument name, e.g. `x-dead-letter-exchange`.
    public func setting(_ key: String) -> JSON? {
        if let value = arguments[key] { return value }
        let policyKey = key.hasPrefix("x-") ? String(key.dropFirst(2)) : key
        return effectivePolicy[policyKey]
    }

    /// `x-delivery-limit` (argument or policy `delivery-limit`), for quorum queues.
    public var deliveryLimit: Int? { setting("x-delivery-limit")?.int }
}

/// An immutable value on the heap, compared and coded as the value.
final class Boxed<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// nil for the type's empty value (`Value()`), so that empty ones cost nothing.
    static func unlessEmpty(_ value: Value) -> Boxed? where Value == MessageStats {
        value == MessageStats() ? nil : Boxed(value)
    }

    static func == (a: Boxed, b: Boxed) -> Bool { a.value == b.value }
    func hash(into hasher: inout Hasher) { value.hash(into: &hasher) }

    init(from decoder: any Decoder) throws {
        value = try Value(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
