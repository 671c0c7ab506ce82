import Foundation

/// One entry of `GET /api/exchanges`.
public struct ExchangeInfo: Sendable, Hashable, Codable {
    public var vhost: String
    public var name: String
    public var type: String
    public var durable: Bool
    public var autoDelete: Bool
    public var `internal`: Bool
    public var arguments: [String: JSON]
    public var messageStats: MessageStats

    public init(vhost: String = "/", name: String, type: String = "direct") {
        self.vhost = vhost
        self.name = name
        self.type = type
        durable = true
        autoDelete = false
        self.internal = false
        arguments = [:]
        messageStats = MessageStats()
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        vhost = json["vhost"]?.string ?? "/"
        self.name = name
        type = json["type"]?.string ?? "direct"
        durable = json["durable"]?.bool ?? false
        autoDelete = json["auto_delete"]?.bool ?? false
        self.internal = json["internal"]?.bool ?? false
        arguments = json["arguments"]?.object ?? [:]
        messageStats = MessageStats(json["message_stats"])
    }
}

/// One entry of `GET /api/bindings`.
public struct BindingInfo: Sendable, Hashable, Codable {
    public var vhost: String
    public var source: String
    public var destination: String
    /// `queue` or `exchange`.
    public var destinationType: String
    public var routingKey: String
    public var arguments: [String: JSON]

    public init(vhost: String = "/", source: String, destination: String, destinationType: String = "queue",
                routingKey: String, arguments: [String: JSON] = [:]) {
        self.vhost = vhost
        self.source = source
        self.destination = destination
        self.destinationType = destinationType
        self.routingKey = routingKey
        self.arguments = arguments
    }

    public init?(json: JSON) {
        guard let source = json["source"]?.string, let destination = json["destination"]?.string else { return nil }
        vhost = json["vhost"]?.string ?? "/"
        self.source = source
        self.destination = destination
        destinationType = json["destination_type"]?.string ?? "queue"
        routingKey = json["routing_key"]?.string ?? ""
        arguments = json["arguments"]?.object ?? [:]
    }
}

/// One entry of `GET /api/consumers`.
public struct ConsumerInfo: Sendable, Hashable, Codable {
    public var queue: QueueID
    public var consumerTag: String
    public var ackRequired: Bool
    public var prefetchCount: Int?
    public var active: Bool
    public var exclusive: Bool
    public var connectionName: String?
    public var channelNumber: Int?
    public var user: String?

    public init(queue: QueueID, consumerTag: String) {
        self.queue = queue
        self.consumerTag = consumerTag
        ackRequired = true
        active = true
        exclusive = false
    }

    public init?(json: JSON) {
        guard let queueName = json[path: "queue", "name"]?.string, let tag = json["consumer_tag"]?.string else {
            return nil
        }
        queue = QueueID(vhost: json[path: "queue", "vhost"]?.string ?? "/", name: queueName)
        consumerTag = tag
        ackRequired = json["ack_required"]?.bool ?? true
        prefetchCount = json["prefetch_count"]?.int
        active = json["active"]?.bool ?? true
        exclusive = json["exclusive"]?.bool ?? false
        connectionName = json[path: "channel_details", "connection_name"]?.string
        channelNumber = json[path: "channel_details", "number"]?.int
        user = json[path: "channel_details", "user"]?.string
    }
}

/// One entry of `GET /api/connections`.
public struct ConnectionInfo: Sendable, Hashable, Codable {
    public var name: String
    public var node: String?
    public var vhost: String?
    public var user: String?
    public var state: String?
    public var channels: Int?
    public var peerHost: String?
    public var peerPort: Int?
    public var product: String?
    /// The name the client gave itself (`connection_name` client property).
    public var clientName: String?
    public var receivedBytes: Counter?
    public var sentBytes: Counter?

    public init(name: String) {
        self.name = name
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        self.name = name
        node = json["node"]?.string
        vhost = json["vhost"]?.string
        user = json["user"]?.string
        state = json["state"]?.string
        channels = json["channels"]?.int
        peerHost = json["peer_host"]?.string
        peerPort = json["peer_port"]?.int
        product = json[path: "client_properties", "product"]?.string
        clientName = json[path: "client_properties", "connection_name"]?.string
        receivedBytes = Counter(json, "recv_oct")
        sentBytes = Counter(json, "send_oct")
    }
}
