/// What a `warren perf` run does: the topology it declares, the load it puts on it and when it
/// stops. Works against any AMQP 0-9-1 broker.
public struct PerfConfiguration: Sendable, Codable, Equatable {
    public enum ExchangeKind: String, Sendable, Codable, CaseIterable {
        case direct, fanout, topic, headers
    }

    public var url: String
    public var producers: Int
    public var consumers: Int
    /// Queues declared for the run; producers and consumers are spread over them round-robin
    /// (with fanout, every message reaches every queue).
    public var queues: Int
    public var exchangeKind: ExchangeKind
    /// Extra bindings that never match, to measure routing with a large binding table.
    public var extraBindings: Int
    public var bodySize: Int
    public var persistent: Bool
    /// Outstanding unconfirmed publishes per producer; 0 turns confirms off.
    public var confirmWindow: Int
    /// basic.qos per consumer; 0 means unlimited.
    public var prefetch: Int
    /// Ack every n-th delivery with multiple=true; 1 acks each one; 0 consumes with no-ack.
    public var multiAck: Int
    /// Messages per second per producer; 0 means as fast as possible.
    public var rate: Double
    /// Seconds to run, unless `messageCount` ends the run first.
    public var duration: Double
    /// Messages per producer; 0 means no limit (run for `duration`).
    public var messageCount: Int
    /// Prefix of the queue and exchange names; a random suffix keeps runs apart.
    public var namePrefix: String

    public init(
        url: String = "amqp://guest:guest@127.0.0.1:5672/", producers: Int = 1, consumers: Int = 1, queues: Int = 1,
        exchangeKind: ExchangeKind = .direct, extraBindings: Int = 0, bodySize: Int = 64, persistent: Bool = false,
        confirmWindow: Int = 0, prefetch: Int = 1000, multiAck: Int = 1, rate: Double = 0, duration: Double = 10,
        messageCount: Int = 0, namePrefix: String = "warren-perf"
    ) {
        self.url = url
        self.producers = producers
        self.consumers = consumers
        self.queues = queues
        self.exchangeKind = exchangeKind
        self.extraBindings = extraBindings
        self.bodySize = bodySize
        self.persistent = persistent
        self.confirmWindow = confirmWindow
        self.prefetch = prefetch
        self.multiAck = multiAck
        self.rate = rate
        self.duration = duration
        self.messageCount = messageCount
        self.namePrefix = namePrefix
    }

    /// Problems with the values, in words a command line can print.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if producers < 0 || consumers < 0 { errors.append("producers and consumers cannot be negative") }
        if producers == 0 && consumers == 0 { errors.append("nothing to do: no producers and no consumers") }
        if queues < 1 { errors.append("at least one queue is needed") }
        if bodySize < 8 { errors.append("the body must be at least 8 bytes (it carries the send time)") }
        if confirmWindow < 0 || prefetch < 0 || prefetch > Int(UInt16.max) { errors.append("confirm window and prefetch must be 0 to 65535") }
        if multiAck < 0 { errors.append("multi-ack cannot be negative") }
        if rate < 0 { errors.append("rate cannot be negative") }
        if duration <= 0 && messageCount <= 0 { errors.append("give a positive duration or a message count") }
        if extraBindings < 0 { errors.append("extra bindings cannot be negative") }
        return errors
    }

    /// How many copies of one published message are consumed: one per queue it reaches.
    var copiesPerMessage: Int { exchangeKind == .fanout ? queues : 1 }
}
