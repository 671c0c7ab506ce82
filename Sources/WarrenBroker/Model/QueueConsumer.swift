import WarrenWire

/// What a queue needs from the channel a consumer lives on.
protocol ConsumerChannel: AnyObject {
    /// False while the channel's own prefetch limit is reached or its socket is backed up.
    var canDeliver: Bool { get }
    func deliver(_ entry: QueueEntry, from queue: BrokerQueue, to consumer: QueueConsumer)
    /// The queue went away (deleted); tell the client with a server-initiated basic.cancel.
    func queueCancelled(_ consumer: QueueConsumer)
}

/// A `basic.consume` as its queue sees it.
final class QueueConsumer {
    let tag: String
    unowned let channel: any ConsumerChannel
    let noAck: Bool
    let exclusive: Bool
    let priority: Int64
    /// Per-consumer prefetch (basic.qos global=false); 0 is unlimited.
    let prefetch: UInt16
    var unacked = 0

    init(tag: String, channel: any ConsumerChannel, noAck: Bool, exclusive: Bool, priority: Int64, prefetch: UInt16) {
        self.tag = tag
        self.channel = channel
        self.noAck = noAck
        self.exclusive = exclusive
        self.priority = priority
        self.prefetch = prefetch
    }

    var canTakeMore: Bool {
        (noAck || prefetch == 0 || unacked < Int(prefetch)) && channel.canDeliver
    }
}
