import NIOCore

// Channel-level traffic: what the broker sends on channels 1..., and the requests the public
// API makes. Everything here runs on the connection's event loop.
extension AMQPConnectionHandler {
    func receiveChannelCommand(_ command: Command) throws {
        guard let record = channels[command.channel] else {
            // Frames for a channel this client already forgot (closed) are dropped, as the spec allows.
            return
        }
        if record.phase == .closing {
            switch command.method {
            case .channelCloseOk, .channelClose: break
            default: return
            }
        }
        switch command.method {
        case .basicDeliver(let deliver):
            let delivery = AMQPDelivery(
                consumerTag: deliver.consumerTag, deliveryTag: deliver.deliveryTag, redelivered: deliver.redelivered,
                exchange: deliver.exchange, routingKey: deliver.routingKey,
                properties: command.header?.properties ?? BasicProperties(), body: command.body)
            record.consumers[deliver.consumerTag]?.send(delivery)
        case .basicReturn(let returned):
            let message = AMQPReturnedMessage(
                replyCode: returned.replyCode, replyText: returned.replyText, exchange: returned.exchange,
                routingKey: returned.routingKey, properties: command.header?.properties ?? BasicProperties(),
                body: command.body)
            record.returns.yield(message)
            record.publisherEvents?.send(.returned(message))
        case .basicAck(let ack):
            record.publisherEvents?.send(.ack(upTo: ack.deliveryTag, multiple: ack.multiple))
            let resolutions = record.confirms.confirm(tag: ack.deliveryTag, multiple: ack.multiple, ack: true)
            record.publishConfirmProgress()
            resolve(resolutions)
        case .basicNack(let nack):
            record.publisherEvents?.send(.nack(upTo: nack.deliveryTag, multiple: nack.multiple))
            let resolutions = record.confirms.confirm(tag: nack.deliveryTag, multiple: nack.multiple, ack: false)
            record.publishConfirmProgress()
            resolve(resolutions)
        case .basicCancel(let cancel):
            record.consumers.removeValue(forKey: cancel.consumerTag)?
                .finish(AMQPClientError.consumerCancelledByServer(consumerTag: cancel.consumerTag))
            if !cancel.noWait { try write(channel: record.id, BasicCancelOk(consumerTag: cancel.consumerTag).method) }
        case .channelFlow(let flow):
            try write(channel: record.id, ChannelFlowOk(active: flow.active).method)
        case .channelClose(let close):
            try write(channel: record.id, ChannelCloseOk().method)
            let reason = AMQPCloseReason(replyCode: close.replyCode, replyText: close.replyText,
                                         classID: close.classID, methodID: close.methodID)
            forget(record, error: .channelClosedByServer(reason))
        case .channelCloseOk:
            forget(record, error: nil)
        default:
            guard let rpc = record.pendingRPCs.first, rpc.isAnswered(by: command.method) else {
                throw AMQPClientError.unexpectedMethod("\(command.method.name) on channel \(record.id)")
            }
            record.pendingRPCs.removeFirst()
            switch command.method {
            case .channelOpenOk:
                record.phase = .open
            case .basicConsumeOk(let ok):
                if let consumer = rpc.consumer { record.consumers[ok.consumerTag] = consumer }
            case .basicCancelOk(let ok):
                record.consumers.removeValue(forKey: ok.consumerTag)?.finish(nil)
            case .confirmSelectOk:
                record.shared.state.withLock { $0.confirmMode = true }
            default:
                break
            }
            rpc.promise.succeed(command)
        }
    }

    private func forget(_ record: ChannelRecord, error: AMQPClientError?) {
        channels[record.id] = nil
        assembler.reset(channel: record.id)
        record.tearDown(error)
    }

    private func resolve(_ resolutions: [ConfirmTracker<ConfirmWaiter>.Resolution]) {
        for resolution in resolutions {
            switch resolution {
            case .single(.single(let promise), let confirmation): promise.succeed(confirmation)
            case .batch(.batch(let promise), let summary): promise.succeed(summary)
            default: break
            }
        }
    }

    // MARK: Requests from the public API

    func openChannel(shared: ChannelShared, returns: AsyncStream<AMQPReturnedMessage>.Continuation,
                     promise: EventLoopPromise<UInt16>) {
        if let finalError { return promise.fail(finalError) }
        let max = negotiated?.channelMax ?? 2047
        guard let id = (1...max).first(where: { channels[$0] == nil }) else {
            return promise.fail(AMQPClientError.tooManyChannels(max: max))
        }
        let record = ChannelRecord(id: id, shared: shared, returns: returns)
        channels[id] = record
        let answer = context!.eventLoop.makePromise(of: Command.self)
        record.pendingRPCs.append(PendingRPC(answers: [(20, 11)], promise: answer, consumer: nil))
        do {
            try write(channel: id, ChannelOpen().method)
        } catch {
            channels[id] = nil
            return promise.fail(error)
        }
        answer.futureResult.whenComplete { result in
            switch result {
            case .success: promise.succeed(id)
            case .failure(let error): promise.fail(error)
            }
        }
    }

    /// Sends an encoded request and waits for one of `answers`.
    func call(channel: UInt16, request: ByteBuffer, answers: [(UInt16, UInt16)], promise: EventLoopPromise<Command>,
              consumer: EventSink<AMQPDelivery>? = nil) {
        guard let record = channels[channel], record.phase != .closing else {
            let error = channels[channel] == nil ? (finalError ?? .channelClosed) : AMQPClientError.channelClosed
            promise.fail(error)
            consumer?.finish(error)
            return
        }
        record.pendingRPCs.append(PendingRPC(answers: answers, promise: promise, consumer: consumer))
        write(request)
    }

    /// Sends encoded frames that expect no answer (publish, ack, nack, reject, nowait methods).
    func send(channel: UInt16, bytes: ByteBuffer, publishSequence: UInt64) {
        guard let record = channels[channel] else { return }
        // A numbered publish stays outstanding even if the channel is closing, so a waiter is
        // failed by the close instead of being told the message was acked.
        if publishSequence != 0 { record.confirms.published(publishSequence) }
        guard record.phase == .open else { return }
        write(bytes)
    }

    func closeChannel(_ channel: UInt16, promise: EventLoopPromise<Void>) {
        guard let record = channels[channel] else { return promise.succeed() }
        if record.phase == .closing {
            record.closePromise?.futureResult.cascade(to: promise)
            return
        }
        record.phase = .closing
        record.closePromise = promise
        do {
            try write(channel: channel, ChannelClose(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0).method)
        } catch {
            forget(record, error: nil)
        }
    }

    func waitForConfirm(channel: UInt16, sequence: UInt64, promise: EventLoopPromise<AMQPConfirmation>) {
        guard let record = channels[channel] else { return promise.fail(finalError ?? AMQPClientError.channelClosed) }
        if let resolution = record.confirms.wait(for: sequence, .single(promise)) { resolve([resolution]) }
    }

    func waitForConfirms(channel: UInt16, promise: EventLoopPromise<AMQPConfirmSummary>) {
        guard let record = channels[channel] else { return promise.fail(finalError ?? AMQPClientError.channelClosed) }
        if let resolution = record.confirms.waitForAll(.batch(promise)) { resolve([resolution]) }
    }

    func closeConnection(promise: EventLoopPromise<Void>) {
        guard finalError == nil, let context else { return promise.succeed() }
        if let closePromise {
            closePromise.futureResult.cascade(to: promise)
            return
        }
        closePromise = promise
        try? write(channel: 0, ConnectionClose(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0).method)
        flushIfNeeded()
        // A broker that never answers close-ok does not keep the caller waiting forever.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        closeTimeout = context.eventLoop.scheduleTask(in: .seconds(5)) {
            let handler = bound.value
            handler.closedByClient = true
            handler.finalError = .connectionClosed(reason: "closed by this client")
            handler.context?.close(promise: nil)
        }
    }

    // MARK: Heartbeats

    /// Sends a heartbeat after half an interval without writes and gives up on the broker after
    /// five half-interval checks without reads (2.5 to 3 intervals of silence), as the broker
    /// does.
    func startHeartbeats(_ seconds: UInt16, context: ChannelHandlerContext) {
        guard seconds > 0 else { return }
        let half = TimeAmount.milliseconds(Int64(seconds) * 500)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
            bound.value.heartbeatTick(intervalSeconds: seconds)
        }
    }

    private func heartbeatTick(intervalSeconds seconds: UInt16) {
        if !didWrite {
            var beat = ByteBuffer()
            beat.writeHeartbeatFrame()
            write(beat)
        }
        didWrite = false
        silentTicks = didRead ? 0 : silentTicks + 1
        didRead = false
        if silentTicks >= 5 {
            fail(.missedHeartbeats(intervalSeconds: seconds), sendClose: nil)
        }
    }
}
