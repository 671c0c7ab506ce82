import NIOCore
import WarrenWire

// Publishing, consuming, fetching and settling messages.
extension ServerChannel {
    func publish(_ publish: BasicPublish, header: ContentHeader, body: ByteBuffer) throws(BrokerError) {
        if publish.immediate { throw .notImplemented("immediate=true") }
        connection.publishedDuringAlarm = connection.publishedDuringAlarm || connection.broker.alarmed
        try authorize(.write, .exchange, publish.exchange)
        let exchange = try vhost.exchange(publish.exchange)
        if exchange.isInternal {
            throw .accessRefused("cannot publish to internal exchange '\(exchange.name)' in vhost '\(vhost.name)'")
        }
        try authorizeTopic(exchange, routingKey: publish.routingKey, .write)
        if let userID = header.properties.userID, userID != connection.username,
           !connection.broker.isImpersonator(connection.username) {
            throw .precondition("user_id property set to '\(userID)' but authenticated user was '\(connection.username)'")
        }
        if publish.routingKey != lastRoutingKey { lastRoutingKey = publish.routingKey }
        // The exchange's own name and the shared key: no string of its own per message.
        let message = try Message.published(exchange: exchange.name, routingKey: lastRoutingKey,
                                            properties: try rewriteReplyTo(header.properties), body: body)
        stats.published += 1
        var sequence: UInt64?
        if confirmMode {
            publishSequence += 1
            sequence = publishSequence
        }
        if transactional {
            txPublishes.append(PendingPublish(exchange: publish.exchange, mandatory: publish.mandatory, message: message))
            return
        }
        try route(message, exchangeName: publish.exchange, mandatory: publish.mandatory, sequence: sequence)
    }

    /// Routes a message and tells the publisher: basic.return for an unroutable mandatory message
    /// (before its confirm), then ack, or nack if a queue refused it (x-overflow reject-publish).
    func route(_ message: Message, exchangeName: String, mandatory: Bool, sequence: UInt64?) throws(BrokerError) {
        let exchange = try vhost.exchange(exchangeName)
        exchange.publishedIn += 1
        if exchangeName.isEmpty && message.routingKey.hasPrefix(Self.replyToPrefix) {
            deliverReply(message)
            if let sequence { confirmRouted(sequence) }
            return
        }
        let queues = vhost.route(exchange, routingKeys: message.routes, headers: message.properties.headers)
        var refused = false
        if queues.isEmpty {
            if mandatory { stats.returnedUnroutable += 1 } else { stats.droppedUnroutable += 1 }
            if mandatory {
                connection.sendContent(
                    channel: id,
                    BasicReturn(replyCode: ReplyCode.noRoute.rawValue, replyText: "NO_ROUTE", exchange: exchangeName,
                                routingKey: message.routingKey),
                    properties: message.properties, message: message)
            }
        } else {
            exchange.routedOut += 1
            for queue in queues {
                if case .rejected = queue.enqueue(message) { refused = true }
                if queue.backlogOutrunsConsumers(), queue.flowPaused[ObjectIdentifier(connection)] == nil {
                    connection.flowQueues.append(queue)
                }
            }
        }
        if let sequence {
            let needsDisk = message.isPersistent && queues.contains { $0.journal != nil }
            if let persistence = connection.broker.persistence, needsDisk || !diskConfirms.isEmpty {
                confirmAfterSync(sequence, refused: refused, persistence, storeID: needsDisk ? message.storeID : nil)
            } else {
                confirm(sequence, refused: refused)
            }
        }
    }

    func confirm(_ sequence: UInt64, refused: Bool) {
        if refused {
            nackPublish(sequence)
            connection.channelsWithPendingConfirms.insert(id)
        } else {
            confirmRouted(sequence)
        }
    }

    /// Queues the publisher's ack for `sequence`, sent coalesced after the read batch.
    private func confirmRouted(_ sequence: UInt64) {
        stats.confirmed += 1
        if confirmAckPending == nil { confirmAckFirst = sequence }
        confirmAckPending = sequence
        connection.channelsWithPendingConfirms.insert(id)
    }

    private func nackPublish(_ sequence: UInt64) {
        // Acks before this nack must reach the publisher first.
        flushConfirms()
        connection.send(channel: id, BasicNack(deliveryTag: sequence, multiple: false, requeue: false))
    }

    /// Sends the coalesced ack for everything confirmed since the last call.
    func flushConfirms() {
        if let pending = confirmAckPending {
            connection.send(channel: id, BasicAck(deliveryTag: pending, multiple: pending != confirmAckFirst))
            confirmAckPending = nil
            confirmAckFirst = nil
        }
    }

    // MARK: Consumers

    func consume(_ consume: BasicConsume) throws(BrokerError) {
        if consume.queue == Self.replyToQueue { return try consumeReplies(consume) }
        try authorize(.read, .queue, queueName(consume.queue))
        let queue = try accessibleQueue(consume.queue)
        let tag = consume.consumerTag.isEmpty ? "amq.ctag-" + ServerChannel.randomToken() : consume.consumerTag
        if consumers[tag] != nil || replyConsumer?.tag == tag {
            throw .notAllowed("attempt to reuse consumer tag '\(tag)'")
        }
        if queue.consumers.contains(where: \.exclusive) || (consume.exclusive && queue.consumerCount > 0) {
            throw .accessRefused("queue '\(queue.name)' in vhost '\(vhost.name)' in exclusive use")
        }
        let priority = consume.arguments["x-priority"]?.int64Value ?? 0
        let consumer = QueueConsumer(tag: tag, channel: self, noAck: consume.noAck, exclusive: consume.exclusive,
                                     priority: priority, prefetch: consumerPrefetch)
        consumers[tag] = (consumer, queue)
        if !consume.noWait { connection.send(channel: id, BasicConsumeOk(consumerTag: tag)) }
        queue.addConsumer(consumer)
    }

    func cancelConsumer(tag: String) {
        guard let (consumer, queue) = consumers.removeValue(forKey: tag) else { return }
        queue.removeConsumer(consumer)
    }

    func queueCancelled(_ consumer: QueueConsumer) {
        guard consumers.removeValue(forKey: consumer.tag) != nil else { return }
        if connection.clientCapabilities.consumerCancelNotify {
            connection.send(channel: id, BasicCancel(consumerTag: consumer.tag, noWait: true))
        }
    }

    /// Lets every queue this channel consumes from try again (prefetch room was freed).
    func drainConsumerQueues() {
        var seen = Set<ObjectIdentifier>()
        for (_, queue) in consumers.values where seen.insert(ObjectIdentifier(queue)).inserted {
            queue.drain()
        }
    }

    func deliver(_ entry: QueueEntry, from queue: BrokerQueue, to consumer: QueueConsumer) {
        let tag = nextDeliveryTag
        nextDeliveryTag += 1
        if consumer.noAck {
            queue.journal?.removed(entry)
            queue.stats.deliveredNoAck += 1
            stats.deliveredNoAck += 1
        } else {
            queue.journal?.delivered(entry)
            unacked.append(Unacked(tag: tag, queue: queue, entry: entry, consumer: consumer))
            consumer.unacked += 1
            queue.noteUnacked(entry)
            queue.stats.delivered += 1
            stats.delivered += 1
        }
        if entry.redelivered {
            queue.stats.redelivered += 1
            stats.redelivered += 1
        }
        connection.sendContent(
            channel: id,
            BasicDeliver(consumerTag: consumer.tag, deliveryTag: tag, redelivered: entry.redelivered,
                         exchange: entry.message.exchange, routingKey: entry.message.routingKey),
            properties: deliveredProperties(entry, queue), message: entry.message)
    }

    /// Quorum queues tell consumers how often a message was returned, in x-delivery-count (0 on
    /// the first delivery, as RabbitMQ 3.10 writes it).
    private func deliveredProperties(_ entry: QueueEntry, _ queue: BrokerQueue) -> BasicProperties {
        guard queue.settings.kind == .quorum else { return entry.message.properties }
        var properties = entry.message.properties
        var headers = properties.headers ?? FieldTable()
        headers["x-delivery-count"] = .int64(entry.deliveryCount)
        properties.headers = headers
        return properties
    }

    func get(_ get: BasicGet) throws(BrokerError) {
        try authorize(.read, .queue, queueName(get.queue))
        let queue = try accessibleQueue(get.queue)
        guard let entry = queue.get() else {
            stats.getEmpty += 1
            connection.send(channel: id, BasicGetEmpty())
            return
        }
        let tag = nextDeliveryTag
        nextDeliveryTag += 1
        if get.noAck {
            queue.journal?.removed(entry)
            queue.stats.gotNoAck += 1
            stats.gotNoAck += 1
        } else {
            queue.journal?.delivered(entry)
            unacked.append(Unacked(tag: tag, queue: queue, entry: entry, consumer: nil))
            queue.noteUnacked(entry)
            queue.stats.got += 1
            stats.got += 1
        }
        if entry.redelivered {
            queue.stats.redelivered += 1
            stats.redelivered += 1
        }
        connection.sendContent(
            channel: id,
            BasicGetOk(deliveryTag: tag, redelivered: entry.redelivered, exchange: entry.message.exchange,
                       routingKey: entry.message.routingKey, messageCount: UInt32(queue.readyCount)),
            properties: deliveredProperties(entry, queue), message: entry.message)
    }

    // MARK: Settling

    enum Outcome {
        case ack, requeue, deadLetter
    }

    /// Refuses a delivery tag this channel never handed out (checked at once, also inside a tx).
    func checkTag(_ tag: UInt64, multiple: Bool) throws(BrokerError) {
        if multiple && tag == 0 { return }
        guard unacked.contains(where: { $0.tag == tag }) else { throw .precondition("unknown delivery tag \(tag)") }
    }

    /// basic.ack / nack / reject. Tag 0 with `multiple` means every unacked message.
    func settle(tag: UInt64, multiple: Bool, outcome: Outcome) throws(BrokerError) {
        var settled: [Unacked] = []
        if multiple {
            if tag != 0 && !unacked.contains(where: { $0.tag == tag }) {
                throw .precondition("unknown delivery tag \(tag)")
            }
            while let first = unacked.first, tag == 0 || first.tag <= tag {
                settled.append(unacked.removeFirst())
            }
        } else if unacked.first?.tag == tag {
            settled.append(unacked.removeFirst())
        } else if let index = unacked.firstIndex(where: { $0.tag == tag }) {
            settled.append(unacked.remove(at: index))
        } else {
            throw .precondition("unknown delivery tag \(tag)")
        }
        finish(settled, outcome: outcome)
    }

    private func finish(_ settled: [Unacked], outcome: Outcome) {
        var touched: [BrokerQueue] = []
        var requeues: [ObjectIdentifier: [QueueEntry]] = [:]
        for item in settled {
            item.queue.noteSettled(item.entry)
            item.consumer?.unacked -= 1
            if !touched.contains(where: { $0 === item.queue }) { touched.append(item.queue) }
            switch outcome {
            case .ack:
                item.queue.journal?.removed(item.entry)
                item.queue.stats.acked += 1
                stats.acked += 1
            case .requeue: requeues[ObjectIdentifier(item.queue), default: []].append(item.entry)
            case .deadLetter: item.queue.deadLetter(item.entry, reason: .rejected)
            }
        }
        for queue in touched {
            if let entries = requeues[ObjectIdentifier(queue)] { queue.requeue(entries) } else { queue.drain() }
        }
        if channelPrefetch > 0 { drainConsumerQueues() }
    }

    func requeueAllUnacked() {
        guard !unacked.isEmpty else { return }
        let all = Array(unacked)
        unacked.removeAll()
        finish(all, outcome: .requeue)
    }
}
