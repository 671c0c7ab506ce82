import NIOCore
import WarrenWire

/// Plain copies of the broker's state, taken on its event loop and read anywhere: what the
/// management API and the Prometheus endpoint serve. Taking one copies counters and names only;
/// building JSON from it happens off the broker's loop.
package struct BrokerSnapshot: Sendable {
    package var nodeName: String
    package var clusterName: String
    package var amqpHost: String
    package var amqpPort: Int
    /// The AMQPS listener's port, when there is one.
    package var amqpsPort: Int?
    package var uptimeMilliseconds: Int64
    package var memoryAlarm: Bool
    package var memoryLimit: Int
    package var diskAlarm = false
    /// Free bytes on the file system the disk alarm watches, as last checked.
    package var diskFree = 0
    package var diskFreeLimit = 50_000_000
    package var messageBytes: Int
    package var vhosts: [String]
    package var users: [BrokerConfiguration.User]
    package var permissions: [Permission] = []
    package var topicPermissions: [TopicPermission] = []
    /// Every vhost's policies and operator policies (whatever vhost the snapshot is of).
    package var policies: [Policy] = []
    package var operatorPolicies: [Policy] = []
    package var queues: [QueueSnapshot] = []
    package var exchanges: [ExchangeSnapshot] = []
    package var bindings: [BindingSnapshot] = []
    package var consumers: [ConsumerSnapshot] = []
    package var connections: [ConnectionSnapshot] = []
    package var channels: [ChannelSnapshot] = []
    /// Every channel's counters, closed ones included.
    package var channelTotals: ChannelStatistics
    package var churn: ChurnCounters
    /// Per vhost: its channels' counters and its connections' bytes, closed ones included.
    package var vhostTraffic: [String: VhostTraffic] = [:]
}

package struct VhostTraffic: Sendable {
    package var stats = ChannelStatistics()
    package var receivedOctets = 0
    package var sentOctets = 0

    package init(stats: ChannelStatistics = ChannelStatistics(), receivedOctets: Int = 0, sentOctets: Int = 0) {
        self.stats = stats
        self.receivedOctets = receivedOctets
        self.sentOctets = sentOctets
    }
}

/// Which parts of a snapshot to copy, so a request for exchanges does not copy 10,000 queues.
package struct SnapshotParts: OptionSet, Sendable {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    package static let queues = SnapshotParts(rawValue: 1 << 0)
    package static let exchanges = SnapshotParts(rawValue: 1 << 1)
    package static let bindings = SnapshotParts(rawValue: 1 << 2)
    package static let consumers = SnapshotParts(rawValue: 1 << 3)
    package static let connections = SnapshotParts(rawValue: 1 << 4)
    package static let channels = SnapshotParts(rawValue: 1 << 5)
    package static let all: SnapshotParts = [.queues, .exchanges, .bindings, .consumers, .connections, .channels]
}

/// A queue's identity: its vhost and name.
package struct QueueKey: Sendable, Hashable {
    package var vhost: String
    package var name: String

    package init(vhost: String, name: String) {
        self.vhost = vhost
        self.name = name
    }
}

package struct QueueSnapshot: Sendable {
    package var vhost: String
    package var name: String
    package var durable: Bool
    package var autoDelete: Bool
    package var exclusive: Bool
    package var arguments: FieldTable
    package var isQuorum: Bool
    package var isLazy: Bool
    package var ready: Int
    package var unacked: Int
    package var readyBytes: Int
    package var unackedBytes: Int
    package var persistent: Int
    package var persistentBytes: Int
    package var states: MessageStateCounts
    /// Body bytes of the ready messages in RAM (alphas); unacked messages are always in RAM.
    package var readyRAMBytes: Int
    /// Transient messages in the delta run, and their bytes (RabbitMQ 3.10's messages_paged_out).
    package var pagedOutTransient: Int
    package var pagedOutTransientBytes: Int
    /// What the queue holds in RAM as the pager counts it: bodies and bookkeeping of alphas and
    /// unacked messages, positions of betas and gammas.
    package var residentMemory: Int
    package var consumers: Int
    /// 1 when a consumer could take the head message now (or nothing waits), 0 when messages wait
    /// for consumers that cannot take them; 0 without consumers, as RabbitMQ reports it.
    package var consumerUtilisation: Double
    package var nextSequence: UInt64
    package var headTimestamp: UInt64?
    package var exclusiveConsumerTag: String?
    package var singleActiveConsumerTag: String?
    package var stats: QueueStatistics
    /// The names of its policy and operator policy, and the definition they give it together.
    package var policy: String? = nil
    package var operatorPolicy: String? = nil
    package var effectivePolicy = FieldTable()
    /// Messages whose bodies are in RAM: alphas and unacked (RabbitMQ's messages_ram).
    package var messagesRAM: Int { states.alpha + unacked }
    /// Their body bytes (RabbitMQ's message_bytes_ram).
    package var messageBytesRAM: Int { readyRAMBytes + unackedBytes }
    /// An estimate of what the queue holds in memory: what the pager counts, and the queue itself.
    package var memory: Int { Self.baseMemory + residentMemory }

    static let baseMemory = 2_048

    package var messages: Int { ready + unacked }
}

package struct ExchangeSnapshot: Sendable {
    package var vhost: String
    package var name: String
    package var type: String
    package var durable: Bool
    package var autoDelete: Bool
    package var isInternal: Bool
    package var arguments: FieldTable
    package var publishIn: UInt64
    package var publishOut: UInt64
    package var policy: String? = nil
}

package struct BindingSnapshot: Sendable {
    package var vhost: String
    package var source: String
    package var destination: String
    package var destinationIsQueue: Bool
    package var routingKey: String
    package var arguments: FieldTable
}

package struct ConsumerSnapshot: Sendable {
    package var vhost: String
    package var queue: String
    package var tag: String
    package var ackRequired: Bool
    package var exclusive: Bool
    package var prefetch: Int
    package var priority: Int64
    package var active: Bool
    package var channel: ChannelIdentity
}

/// How RabbitMQ names a channel and its connection in consumer and channel objects.
package struct ChannelIdentity: Sendable {
    package var connectionName: String
    package var number: Int
    package var user: String
    package var peerHost: String
    package var peerPort: Int
    package var name: String { "\(connectionName) (\(number))" }
}

package struct ConnectionSnapshot: Sendable {
    package var name: String
    package var vhost: String
    package var user: String
    package var host: String
    package var port: Int
    package var peerHost: String
    package var peerPort: Int
    package var channels: Int
    package var frameMax: Int
    package var channelMax: Int
    package var heartbeat: Int
    package var clientProperties: FieldTable
    /// Milliseconds since the Unix epoch.
    package var connectedAt: Int64
    package var receivedOctets: Int
    package var sentOctets: Int
    package var receiveCount: Int
    package var sendCount: Int
    package var blocked: Bool
    /// Paused by flow control (RabbitMQ's connection state `flow`).
    package var inFlow = false
    /// Over the AMQPS listener.
    package var ssl = false
    /// The TLS version, as RabbitMQ names it (`tlsv1.3`).
    package var sslProtocol: String?
}

package struct ChannelSnapshot: Sendable {
    package var identity: ChannelIdentity
    package var vhost: String
    package var consumerCount: Int
    package var unacked: Int
    package var prefetch: Int
    package var globalPrefetch: Int
    package var confirm: Bool
    package var transactional: Bool
    package var unconfirmed: Int
    package var uncommittedMessages: Int
    package var uncommittedAcks: Int
    package var stats: ChannelStatistics
}
