import NIOCore
import WarrenWire

/// One AMQP channel on the broker side: its consumers, unacked deliveries, prefetch, confirm
/// and transaction modes. Lives on the broker's event loop; methods throw ``BrokerError`` and the
/// connection turns a soft error into `channel.close` and a hard one into `connection.close`.
final class ServerChannel: ConsumerChannel {
    struct Unacked {
        var tag: UInt64
        let queue: BrokerQueue
        let entry: QueueEntry
        /// `nil` for messages fetched with basic.get.
        let consumer: QueueConsumer?
    }

    struct PendingPublish {
        let exchange: String
        let mandatory: Bool
        let message: Message
    }

    enum PendingAck {
        case ack(UInt64, multiple: Bool)
        case nack(UInt64, multiple: Bool, requeue: Bool)
        case reject(UInt64, requeue: Bool)
    }

    let id: UInt16
    unowned let connection: ServerConnection
    let vhost: VirtualHost

    var consumers: [String: (consumer: QueueConsumer, queue: BrokerQueue)] = [:]
    var unacked = CircularBuffer<Unacked>()
    var nextDeliveryTag: UInt64 = 1
    /// basic.qos global=false: the prefetch given to consumers started afterwards.
    var consumerPrefetch: UInt16 = 0
    /// basic.qos global=true: the limit for the whole channel.
    var channelPrefetch: UInt16 = 0

    var confirmMode = false
    var publishSequence: UInt64 = 0
    /// The routing key of the previous publish. A publisher mostly repeats its key, and each
    /// decoded key longer than 15 bytes is a string allocation of its own: queued messages share
    /// this one instead.
    var lastRoutingKey = ""
    /// Highest sequence number acked but not yet told to the publisher; sent as one
    /// multiple ack when the current read batch is done.
    var confirmAckPending: UInt64?
    /// The first sequence number in that pending run: a run of one is acked with multiple=false.
    var confirmAckFirst: UInt64?
    /// Confirms held back for the disk, in publish order; while any are, later confirms wait
    /// behind them so acks stay in order.
    var diskConfirms = CircularBuffer<DiskConfirm>()

    /// The consumer of `amq.rabbitmq.reply-to` on this channel, if any.
    var replyConsumer: ReplyConsumer?

    var transactional = false
    var txPublishes: [PendingPublish] = []
    var txAcks: [PendingAck] = []
    /// What this channel did, for the management API (summed into the broker's totals on close).
    var stats = ChannelStatistics()
    /// Accesses already allowed on this channel, newest first, as RabbitMQ's channel caches
    /// them: a publisher repeating its exchange is not matched against a pattern every time.
    var permittedAccess: [PermittedAccess] = []

    init(id: UInt16, connection: ServerConnection, vhost: VirtualHost) {
        self.id = id
        self.connection = connection
        self.vhost = vhost
    }

    /// Set when the channel starts closing, so requeued messages are not handed straight back.
    var isClosing = false

    var canDeliver: Bool {
        !isClosing && (channelPrefetch == 0 || unacked.count < Int(channelPrefetch)) && connection.isWritable
    }

    /// Handles one method (with its content, if it has some).
    func handle(_ command: Command) throws(BrokerError) {
        switch command.method {
        case .channelFlow(let flow):
            guard flow.active else { throw .notImplemented("active=false") }
            connection.send(channel: id, ChannelFlowOk(active: true))
        case .channelFlowOk:
            break
        case .exchangeDeclare, .exchangeDelete, .exchangeBind, .exchangeUnbind, .queueDeclare, .queueBind,
            .queueUnbind, .queuePurge, .queueDelete:
            try handleTopology(command.method)
        case .basicPublish(let publish):
            try self.publish(publish, header: command.header!, body: command.body)
        case .basicQos(let qos):
            guard qos.prefetchSize == 0 else { throw .notImplemented("prefetch_size!=0 (\(qos.prefetchSize))") }
            if qos.global { channelPrefetch = qos.prefetchCount } else { consumerPrefetch = qos.prefetchCount }
            connection.send(channel: id, BasicQosOk())
            drainConsumerQueues()
        case .basicConsume(let consume):
            try self.consume(consume)
        case .basicCancel(let cancel):
            if !cancelReplies(tag: cancel.consumerTag) { cancelConsumer(tag: cancel.consumerTag) }
            if !cancel.noWait { connection.send(channel: id, BasicCancelOk(consumerTag: cancel.consumerTag)) }
        case .basicGet(let get):
            try self.get(get)
        case .basicAck(let ack):
            if transactional {
                try checkTag(ack.deliveryTag, multiple: ack.multiple)
                txAcks.append(.ack(ack.deliveryTag, multiple: ack.multiple))
            } else {
                try settle(tag: ack.deliveryTag, multiple: ack.multiple, outcome: .ack)
            }
        case .basicNack(let nack):
            if transactional {
                try checkTag(nack.deliveryTag, multiple: nack.multiple)
                txAcks.append(.nack(nack.deliveryTag, multiple: nack.multiple, requeue: nack.requeue))
            } else {
                try settle(tag: nack.deliveryTag, multiple: nack.multiple, outcome: nack.requeue ? .requeue : .deadLetter)
            }
        case .basicReject(let reject):
            if transactional {
                try checkTag(reject.deliveryTag, multiple: false)
                txAcks.append(.reject(reject.deliveryTag, requeue: reject.requeue))
            } else {
                try settle(tag: reject.deliveryTag, multiple: false, outcome: reject.requeue ? .requeue : .deadLetter)
            }
        case .basicRecoverAsync(let recover):
            guard recover.requeue else { throw .notImplemented("requeue=false") }
            requeueAllUnacked()
        case .basicRecover(let recover):
            guard recover.requeue else { throw .notImplemented("requeue=false") }
            requeueAllUnacked()
            connection.send(channel: id, BasicRecoverOk())
        case .confirmSelect(let select):
            guard !transactional else { throw .precondition("cannot switch from tx to confirm mode") }
            confirmMode = true
            if !select.noWait { connection.send(channel: id, ConfirmSelectOk()) }
        case .txSelect:
            guard !confirmMode else { throw .precondition("cannot switch from confirm to tx mode") }
            transactional = true
            connection.send(channel: id, TxSelectOk())
        case .txCommit:
            guard transactional else { throw .precondition("channel is not transactional") }
            let durable = txTouchesDisk
            try commit()
            guard durable, let persistence = connection.broker.persistence else {
                connection.send(channel: id, TxCommitOk())
                return
            }
            // As RabbitMQ: commit-ok once what the transaction wrote is on disk.
            persistence.whenSynced { [weak self] written in
                guard let self, !self.isClosing else { return }
                if written {
                    self.connection.send(channel: self.id, TxCommitOk())
                } else {
                    // 541 is a connection exception: the transaction's outcome on disk is unknown.
                    self.connection.closeConnection(BrokerError(.internalError, "tx.commit: storage write failed"))
                }
            }
        case .txRollback:
            guard transactional else { throw .precondition("channel is not transactional") }
            txPublishes = []
            txAcks = []
            connection.send(channel: id, TxRollbackOk())
        case .accessRequest:
            connection.send(channel: id, AccessRequestOk(ticket: 1))
        default:
            throw .commandInvalid("unexpected method \(command.method.name) on channel \(id)")
        }
    }

    /// Whether committing writes to disk: a persistent message published, or any settlement
    /// (which may remove a stored message), on a broker with a data directory.
    private var txTouchesDisk: Bool {
        !txAcks.isEmpty || txPublishes.contains { $0.message.isPersistent }
    }

    private func commit() throws(BrokerError) {
        let publishes = txPublishes
        let acks = txAcks
        txPublishes = []
        txAcks = []
        for pending in acks {
            switch pending {
            case .ack(let tag, let multiple): try settle(tag: tag, multiple: multiple, outcome: .ack)
            case .nack(let tag, let multiple, let requeue):
                try settle(tag: tag, multiple: multiple, outcome: requeue ? .requeue : .deadLetter)
            case .reject(let tag, let requeue): try settle(tag: tag, multiple: false, outcome: requeue ? .requeue : .deadLetter)
            }
        }
        for publish in publishes {
            try route(publish.message, exchangeName: publish.exchange, mandatory: publish.mandatory, sequence: nil)
        }
    }

    /// The channel is closing (or its connection): unacked messages go back to their queues in
    /// order, consumers are cancelled (which may auto-delete queues).
    func close() {
        guard !isClosing else { return }
        isClosing = true
        requeueAllUnacked()
        for (tag, _) in consumers { cancelConsumer(tag: tag) }
        if let reply = replyConsumer { _ = cancelReplies(tag: reply.tag) }
        connection.broker.channelClosed(stats)
        vhost.closedChannelTotals = vhost.closedChannelTotals + stats
    }
}

/// Per-channel message counters behind the management API's channel and overview message_stats.
package struct ChannelStatistics: Sendable, Equatable {
    package var published: UInt64 = 0
    package var confirmed: UInt64 = 0
    package var delivered: UInt64 = 0
    package var deliveredNoAck: UInt64 = 0
    package var got: UInt64 = 0
    package var gotNoAck: UInt64 = 0
    package var getEmpty: UInt64 = 0
    package var redelivered: UInt64 = 0
    package var acked: UInt64 = 0
    package var returnedUnroutable: UInt64 = 0
    package var droppedUnroutable: UInt64 = 0

    package init() {}

    package var deliverGet: UInt64 { delivered + deliveredNoAck + got + gotNoAck }

    static func + (a: Self, b: Self) -> Self {
        var sum = a
        sum.published += b.published
        sum.confirmed += b.confirmed
        sum.delivered += b.delivered
        sum.deliveredNoAck += b.deliveredNoAck
        sum.got += b.got
        sum.gotNoAck += b.gotNoAck
        sum.getEmpty += b.getEmpty
        sum.redelivered += b.redelivered
        sum.acked += b.acked
        sum.returnedUnroutable += b.returnedUnroutable
        sum.droppedUnroutable += b.droppedUnroutable
        return sum
    }
}
