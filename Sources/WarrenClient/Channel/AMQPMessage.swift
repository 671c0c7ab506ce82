import NIOCore

/// A message delivered to a consumer (`basic.deliver`) or fetched with `basic.get`.
public struct AMQPDelivery: Sendable, Hashable {
    /// Empty for messages fetched with `basic.get`.
    public var consumerTag: String
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var properties: BasicProperties
    public var body: ByteBuffer

    public init(
        consumerTag: String = "", deliveryTag: UInt64, redelivered: Bool = false, exchange: String,
        routingKey: String, properties: BasicProperties = BasicProperties(), body: ByteBuffer
    ) {
        self.consumerTag = consumerTag
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyString: String { String(buffer: body) }
}

/// The result of `basic.get` when the queue had a message.
public struct AMQPGetResult: Sendable, Hashable {
    public var message: AMQPDelivery
    /// Messages left in the queue after this one.
    public var messageCount: UInt32
}

/// A message the broker could not route and returned to its mandatory publisher (`basic.return`).
public struct AMQPReturnedMessage: Sendable, Hashable {
    /// 312 NO_ROUTE for an unroutable mandatory message.
    public var replyCode: UInt16
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var properties: BasicProperties
    public var body: ByteBuffer
}

/// What the broker said about one published message in confirm mode.
public enum AMQPConfirmation: Sendable, Hashable {
    /// The broker took responsibility for the message.
    case ack
    /// The broker could not take it (for example a full queue with `x-overflow: reject-publish`).
    case nack
}

/// The outcome of waiting for every outstanding confirm on a channel.
public struct AMQPConfirmSummary: Sendable, Hashable {
    /// The highest publish sequence number the wait covered.
    public var upTo: UInt64
    /// Sequence numbers up to `upTo` that were nacked and not reported by an earlier wait.
    public var nacked: [UInt64]

    public var allAcked: Bool { nacked.isEmpty }
}

/// How far a confirm-mode channel's publishes have been confirmed, read without waiting: a
/// publisher keeping a window of unconfirmed messages checks it after each publish and only
/// waits (``AMQPChannel/waitForConfirm(_:)``) when the window is full.
public struct AMQPConfirmProgress: Sendable, Hashable {
    /// Every publish numbered up to this one has been acked or nacked (0: none yet).
    public var settledThrough: UInt64 = 0
    /// Nacks received so far on the channel.
    public var nacks: UInt64 = 0

    public init(settledThrough: UInt64 = 0, nacks: UInt64 = 0) {
        self.settledThrough = settledThrough
        self.nacks = nacks
    }
}

/// `connection.blocked` and `connection.unblocked` notifications.
public enum AMQPBlockingEvent: Sendable, Hashable {
    /// The broker stopped reading from publishing connections (a memory or disk alarm).
    case blocked(reason: String)
    case unblocked
}

/// The result of `queue.declare`.
public struct AMQPQueueDeclareResult: Sendable, Hashable {
    public var queue: String
    public var messageCount: UInt32
    public var consumerCount: UInt32
}
