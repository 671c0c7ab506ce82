import Foundation
import NIOCore
import WarrenClient
import WarrenWire

/// One run of a replay: a single loop over every event (deliveries from the source, returns and
/// confirms from the target, ticks, cancel), so all its state has one owner and the acks it
/// sends are in the order ``ReplayLedger`` decided them.
struct ReplayEngine {
    enum Event: Sendable {
        case delivery(AMQPDelivery)
        /// basic.get found the source empty (after the consumer gave way to basic.get).
        case sourceEmpty
        /// The consumer's deliveries ended: cleanly after our cancel, or with the error that ended them.
        case deliveriesEnded((any Error)?)
        case publisher(AMQPPublisherEvent)
        case publisherEnded((any Error)?)
        case tick
        case cancel
    }

    let connection: AMQPConnection
    /// Where the replay publishes: a connection of its own when given (see ``Replay``).
    let targetConnection: AMQPConnection
    let queue: String
    let options: ReplayOptions
    let progressSink: @Sendable (ReplayProgress) -> Void
    let inbox: ReplayInbox

    init(connection: AMQPConnection, targetConnection: AMQPConnection? = nil, queue: String, options: ReplayOptions,
         progress: @escaping @Sendable (ReplayProgress) -> Void, inbox: ReplayInbox) {
        self.connection = connection
        self.targetConnection = targetConnection ?? connection
        self.queue = queue
        self.options = options
        self.progressSink = progress
        self.inbox = inbox
    }

    /// How the source is read: a consumer with a prefetch window; once more messages must stay
    /// unacked than a prefetch window can hold (65,535), basic.get one at a time, which no
    /// prefetch limits; and when the consumer falls silent, one basic.get to tell an empty queue
    /// (stop) from a slow broker (consume again). The queue's ready count cannot tell: messages
    /// on their way to this consumer are not ready, and the cancel-ok of the consumer comes
    /// after every delivery sent to it.
    private enum Reading {
        /// A consumer, by its tag.
        case consuming(String)
        case cancellingConsumer(then: AfterCancel)
        case getting
        case probing
        case done
    }

    private enum AfterCancel {
        case getEach
        case probe
        /// Consume again with the wider prefetch just set (a consumer's prefetch is fixed when it starts).
        case reconsume
    }

    func run() async throws -> ReplayReport {
        let control = try await connection.openChannel()
        let length = Int(try await control.queueDeclare(queue, passive: true).messageCount)
        let budget = min(length, options.limit ?? (options.dryRun ? max(1, options.sample) : Int.max))
        var progress = ReplayProgress(lengthAtStart: budget)
        let planner = ReplayPlanner(replayID: options.replayID, target: options.target, filters: options.filters)
        var stop: ReplayStop = budget < length ? .reachedLimit : .reachedLength
        var warnings: [String] = []
        if budget == 0 {
            try? await control.close()
            return ReplayReport(replayID: options.replayID, dryRun: options.dryRun, progress: progress,
                                stop: length == 0 ? .queueEmpty : stop, warnings: warnings, queueLength: length)
        }

        let source = try await connection.openChannel()
        let publisher = try await targetConnection.openChannel()
        try await publisher.confirmSelect()
        let inbox = self.inbox
        // Deliveries and confirms go to the inbox straight from the connections' event loops:
        // a task between them cost a thread switch per message (about a third of the replay's
        // CPU on RabbitMQ, with perf).
        try await publisher.publisherEvents { event in
            switch event {
            case .next(let event): inbox.post(.publisher(event))
            case .ended(let error): inbox.post(.publisherEnded(error))
            }
        }
        // Per consumer (global=false): RabbitMQ's per-channel limit has to coordinate the channel
        // with the queue on every delivery, and replays measured a third slower with it.
        var prefetch = options.window
        try await source.qos(prefetchCount: UInt16(prefetch), global: false)
        let queue = self.queue
        /// Starts a consumer that hands its deliveries to the inbox; returns its tag.
        func consume() async throws -> String {
            try await source.consume(queue) { event in
                switch event {
                case .next(let delivery): inbox.post(.delivery(delivery))
                case .ended(let error): inbox.post(.deliveriesEnded(error))
                }
            }
        }
        var reading = Reading.consuming(try await consume())
        let feeders = [
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    inbox.post(.tick)
                }
            },
        ]
        defer { for feeder in feeders { feeder.cancel() } }

        var ledger = ReplayLedger()
        /// Decided in this batch of events, published together at its end (one write to the socket).
        /// Deliveries that stay (no message) wait here too, so the ledger learns every delivery in
        /// tag order.
        var outgoing: [(message: AMQPOutgoingMessage?, deliveryTag: UInt64, label: String)] = []
        var outgoingMessages = 0
        var knownQueues: Set<String> = []
        var stopping = false
        var getInFlight = false
        var lateReturns = 0
        var lastDelivery = ContinuousClock.now
        var lastReport = ContinuousClock.now
        let started = ContinuousClock.now

        func updateRate() {
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            progress.rate = elapsed > 0 ? Double(progress.moved) / elapsed : 0
        }

        func flushPublishes() async throws {
            guard !outgoing.isEmpty else { return }
            let batch = outgoing
            outgoing = []
            outgoingMessages = 0
            let expected = ledger.nextPublishSequence
            var sequences = try await publisher.publish(batch: batch.compactMap(\.message))[...]
            if let first = sequences.first, first != expected {
                throw MonitorError.failed("replay: publishes numbered from \(first), expected \(expected)")
            }
            for entry in batch {
                if entry.message != nil, let sequence = sequences.popFirst() {
                    ledger.published(deliveryTag: entry.deliveryTag, sequence: sequence, label: entry.label)
                } else {
                    ledger.keep(deliveryTag: entry.deliveryTag)
                }
            }
        }

        func sendAcks() async throws {
            for ack in ledger.takeAcks() { try await source.ack(deliveryTag: ack.deliveryTag, multiple: ack.multiple) }
        }

        /// Stops taking messages; the loop ends once every publish is confirmed.
        func beginStop(_ why: ReplayStop?) async throws {
            if let why, !stopping { stop = why }
            stopping = true
            switch reading {
            case .consuming(let consumer):
                reading = .cancellingConsumer(then: .getEach)
                try await source.cancel(consumerTag: consumer)
            case .getting, .probing:
                reading = .done
            case .cancellingConsumer, .done:
                break
            }
        }

        /// basic.get on a task of its own, so the confirms keep flowing while it waits.
        func getOne() {
            getInFlight = true
            Task {
                do {
                    if let got = try await source.get(queue, noAck: false) {
                        inbox.post(.delivery(got.message))
                    } else {
                        inbox.post(.sourceEmpty)
                    }
                } catch {
                    inbox.post(.deliveriesEnded(error))
                }
            }
        }

        /// Messages that stay unacked use up the prefetch window: widen it so the consumer keeps
        /// getting new ones (a new consumer, as a consumer's prefetch is fixed when it starts),
        /// and past AMQP's limit give way to basic.get.
        func makeRoom() async throws {
            guard !stopping, case .consuming(let consumer) = reading, ledger.keptCount + options.window > prefetch
            else { return }
            let wanted = ledger.keptCount + 4 * options.window
            if wanted <= Int(UInt16.max) {
                prefetch = wanted
                reading = .cancellingConsumer(then: .reconsume)
            } else {
                reading = .cancellingConsumer(then: .getEach)
            }
            try await source.cancel(consumerTag: consumer)
        }

        /// A delivery that stays unacked, after the publishes decided before it.
        func keep(_ delivery: AMQPDelivery) {
            if outgoing.isEmpty {
                ledger.keep(deliveryTag: delivery.deliveryTag)
            } else {
                outgoing.append((nil, delivery.deliveryTag, ""))
            }
        }

        func take(_ delivery: AMQPDelivery) async throws {
            lastDelivery = ContinuousClock.now
            guard !stopping, progress.seen < budget else {
                // Past the end (or after a stop): it goes back to the source when the channel closes.
                keep(delivery)
                return
            }
            progress.seen += 1
            // The stamp carries the publish sequence number, so a basic.return names its message.
            let decision = planner.decide(properties: delivery.properties, body: delivery.body,
                                          sequence: Int(ledger.nextPublishSequence) + outgoingMessages)
            switch decision {
            case .ownMessage:
                progress.seen -= 1
                keep(delivery)
                try await beginStop(.sawOwnMessage)
                return
            case .skip(let why):
                progress.skipped += 1
                progress.skipReasons[why, default: 0] += 1
                keep(delivery)
            case .publish(let exchange, let routingKey, let properties, let label):
                if options.dryRun {
                    progress.perTarget[label, default: 0] += 1
                    if progress.destinations[label] == nil {
                        progress.destinations[label] = ReplayDestination(exchange: exchange, routingKey: routingKey)
                    }
                    let deaths = DeadLetterHistory(headers: delivery.properties.headers).totalDeaths
                    progress.deaths[String(deaths), default: 0] += 1
                    keep(delivery)
                    break
                }
                if exchange.isEmpty, !knownQueues.contains(routingKey) {
                    if try await Replay.queueExists(routingKey, on: connection) {
                        knownQueues.insert(routingKey)
                    } else {
                        progress.returned += 1
                        progress.skipReasons["target queue '\(routingKey)' does not exist", default: 0] += 1
                        keep(delivery)
                        break
                    }
                }
                let message = AMQPOutgoingMessage(delivery.body, exchange: exchange, routingKey: routingKey,
                                                  mandatory: true, properties: properties)
                outgoing.append((message, delivery.deliveryTag, label))
                outgoingMessages += 1
                if let rate = options.ratePerSecond, rate > 0 {
                    let due = started + .milliseconds(Int(Double(ledger.nextPublishSequence - 1) / rate * 1000))
                    if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
                    // Waiting on the rate is not the consumer falling silent.
                    lastDelivery = ContinuousClock.now
                    try await flushPublishes()
                }
            }
            if progress.seen >= budget { try await beginStop(nil) }
        }

        do {
            var finished = false
            while !finished {
                for event in await inbox.next() {
                    switch event {
                    case .delivery(let delivery):
                        try await take(delivery)
                        if getInFlight {
                            getInFlight = false
                            if case .getting = reading, !stopping { getOne() }
                            if case .probing = reading, !stopping {
                                // Not empty after all: back to the consumer.
                                reading = .consuming(try await consume())
                                lastDelivery = ContinuousClock.now
                            }
                        }
                    case .sourceEmpty:
                        getInFlight = false
                        try await beginStop(.queueEmpty)
                    case .deliveriesEnded(let error?):
                        throw error
                    case .deliveriesEnded(nil):
                        if case .cancellingConsumer(let then) = reading {
                            if stopping {
                                reading = .done
                            } else if then == .reconsume {
                                try await source.qos(prefetchCount: UInt16(prefetch), global: false)
                                reading = .consuming(try await consume())
                            } else {
                                reading = then == .getEach ? .getting : .probing
                                getOne()
                            }
                        }
                    case .publisher(.returned(let message)):
                        guard let stamp = replaySequence(message.properties.headers, replayID: options.replayID),
                            stamp > 0 else { break }
                        // A return always comes before its confirm; one that does not matched a message
                        // whose source copy may already be acked.
                        if !ledger.returned(sequence: UInt64(stamp)) { lateReturns += 1 }
                    case .publisher(.ack(let tag, let multiple)), .publisher(.nack(let tag, let multiple)):
                        var isAck = false
                        if case .publisher(.ack) = event { isAck = true }
                        for outcome in ledger.confirmed(upTo: tag, multiple: multiple, ack: isAck) {
                            switch outcome {
                            case .moved(let label):
                                progress.moved += 1
                                progress.perTarget[label, default: 0] += 1
                            case .returned: progress.returned += 1
                            case .nacked: progress.failed += 1
                            }
                        }
                    case .publisherEnded(let error):
                        throw error ?? MonitorError.failed("the publishing channel closed")
                    case .tick:
                        if !stopping, case .consuming(let consumer) = reading,
                            ContinuousClock.now - lastDelivery > .seconds(1)
                        {
                            // Silent for a while: perhaps someone else took the rest.
                            reading = .cancellingConsumer(then: .probe)
                            try await source.cancel(consumerTag: consumer)
                        }
                        if ContinuousClock.now - lastReport >= .milliseconds(200) {
                            lastReport = ContinuousClock.now
                            updateRate()
                            progressSink(progress)
                        }
                    case .cancel:
                        try await beginStop(.cancelled)
                    }
                }
                try await flushPublishes()
                try await sendAcks()
                try await makeRoom()
                if stopping, ledger.awaitingConfirms == 0 {
                    // A cancelled consumer's last deliveries are still to come; a get may be on its way.
                    if case .cancellingConsumer = reading { continue }
                    if getInFlight { continue }
                    finished = true
                }
            }
        } catch {
            // Everything not acked goes back to the source when the channel closes.
            try? await source.close()
            try? await publisher.close()
            throw InterruptedReplay(progress: progress, confirmedNotAcked: ledger.confirmedNotAcked,
                                    awaitingConfirms: ledger.awaitingConfirms, cause: error)
        }
        if lateReturns > 0 {
            warnings.append("\(lateReturns) message(s) were returned after their confirm: their source copies may be "
                + "acked, so they may be lost")
        }
        if options.dryRun, progress.seen > 0 {
            warnings.append("dry run: the messages looked at were put back; "
                + Peek.requeueNote(connection, of: "them"))
        }
        // Unacked messages (returned, failed, skipped, or our own) go back in their order.
        try await source.close()
        try? await publisher.close()
        try? await control.close()
        updateRate()
        progressSink(progress)
        return ReplayReport(replayID: options.replayID, dryRun: options.dryRun, progress: progress, stop: stop,
                            warnings: warnings, queueLength: length)
    }
}

/// A replay cut short by a broken connection or channel: what had happened by then.
struct InterruptedReplay: Error, CustomStringConvertible {
    var progress: ReplayProgress
    /// Confirmed at the target but their source copies not acked: a rerun replays them again.
    var confirmedNotAcked: Int
    /// Published without a confirm yet: they may or may not have reached the target.
    var awaitingConfirms: Int
    var cause: any Error

    var description: String {
        let unsure = confirmedNotAcked + awaitingConfirms
        return "\(MonitorError.from(cause)); \(progress.moved) moved before that, nothing lost: every message not acked is back in the "
            + "source" + (unsure > 0 ? ", and up to \(unsure) of them may also be at the target (a rerun makes duplicates, not gaps)" : "")
    }
}
