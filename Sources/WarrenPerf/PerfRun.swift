import NIOConcurrencyHelpers
import NIOCore
import WarrenClient
import WarrenWire

/// Runs a load test: declares the topology, starts the consumers, then the producers, reports
/// every second and ends after the duration or once every message was consumed.
public enum PerfRun {
    public static func run(
        _ configuration: PerfConfiguration, onSecond: @escaping @Sendable (PerfSecond) -> Void = { _ in }
    ) async throws -> PerfSummary {
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let topology = PerfTopology(configuration: configuration, runID: runID)
        let setup = try await AMQPConnection.connect(to: configuration.url)
        let setupChannel = try await setup.openChannel()
        try await topology.declare(on: setupChannel, durable: configuration.persistent,
                                   extraBindings: configuration.extraBindings)
        let broker = describeBroker(setup.serverProperties)
        let counters = PerfCounters()
        let connections = ConnectionRegistry()
        let producersDone = NIOLockedValueBox(0)
        var seconds: [PerfSecond] = []
        var elapsed = 0.0
        do {
            // Consumers are subscribed before any producer starts, so no message waits for them.
            var subscriptions: [(AMQPChannel, AMQPConsumer)] = []
            for index in 0..<configuration.consumers {
                subscriptions.append(try await subscribe(index: index, configuration, topology, connections))
            }
            // Producers connect before the clock starts too: a run of N seconds publishes for N
            // seconds however long connecting took.
            var producers: [AMQPChannel] = []
            for _ in 0..<configuration.producers {
                producers.append(try await openProducer(configuration, connections))
            }
            let start = NIODeadline.now()
            let deadline = configuration.duration > 0 ? start + .nanoseconds(Int64(configuration.duration * 1e9)) : nil
            let expected = configuration.messageCount > 0 && configuration.consumers > 0
                ? configuration.producers * configuration.messageCount * configuration.copiesPerMessage : nil
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (channel, consumer) in subscriptions {
                    group.addTask { try await consume(channel, consumer, configuration, counters) }
                }
                for (index, channel) in producers.enumerated() {
                    group.addTask {
                        try await produce(index: index, channel, configuration, topology, counters, deadline)
                        producersDone.withLockedValue { $0 += 1 }
                    }
                }
                var second = 1
                var lastProgress = (count: -1, at: NIODeadline.now())
                while true {
                    try await Task.sleep(for: .milliseconds(20))
                    let now = NIODeadline.now()
                    if now >= start + .seconds(Int64(second)) {
                        let report = counters.takeSecond(second)
                        seconds.append(report)
                        onSecond(report)
                        second += 1
                    }
                    let received = counters.receivedSoFar
                    if received != lastProgress.count { lastProgress = (received, now) }
                    let allProduced = producersDone.withLockedValue { $0 } == configuration.producers
                    if let deadline, now >= deadline { break }
                    // Everything arrived; producers still count their last confirms (at most 5 s).
                    if let expected, received >= expected, allProduced || now - lastProgress.at > .seconds(5) { break }
                    if expected == nil && allProduced { break }
                    // Every producer finished but some copies never arrive (dropped or refused).
                    if allProduced && now - lastProgress.at > .seconds(5) { break }
                }
                elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
                group.cancelAll()
                // A producer waiting for socket capacity or a confirm is not woken by cancellation.
                await connections.closeAll()
                while let result = await group.nextResult() {
                    if case .failure(let error) = result, !(error is CancellationError), !isClosing(error) {
                        throw error
                    }
                }
                // Producers report their last counts as they stop, so the last second comes after.
                let partial = counters.takeSecond(second)
                if partial.sent + partial.received + partial.confirmed > 0 {
                    seconds.append(partial)
                    onSecond(partial)
                }
            }
        } catch {
            await connections.closeAll()
            try? await topology.delete(on: setupChannel)
            try? await setup.close()
            throw error
        }
        try? await topology.delete(on: setupChannel)
        try? await setup.close()
        let totals = counters.totals
        return PerfSummary(
            configuration: configuration, broker: broker, elapsedSeconds: elapsed, sent: totals.sent,
            confirmed: totals.confirmed, nacked: totals.nacked, received: totals.received,
            publishRate: elapsed > 0 ? Double(totals.sent) / elapsed : 0,
            consumeRate: elapsed > 0 ? Double(totals.received) / elapsed : 0,
            latency: PerfLatency(totals.latency), seconds: seconds)
    }

    static func describeBroker(_ properties: FieldTable) -> String {
        let product = properties["product"]?.stringValue ?? "unknown broker"
        let version = properties["version"]?.stringValue
        return version.map { "\(product) \($0)" } ?? product
    }

    /// Errors a task sees because the run closed its connection at the end.
    private static func isClosing(_ error: any Error) -> Bool {
        guard let error = error as? AMQPClientError else { return false }
        switch error {
        case .connectionClosed, .channelClosed: return true
        default: return false
        }
    }

    private static func subscribe(
        index: Int, _ configuration: PerfConfiguration, _ topology: PerfTopology, _ connections: ConnectionRegistry
    ) async throws -> (AMQPChannel, AMQPConsumer) {
        let connection = try await AMQPConnection.connect(to: configuration.url)
        await connections.add(connection)
        let channel = try await connection.openChannel()
        if configuration.prefetch > 0 { try await channel.qos(prefetchCount: UInt16(configuration.prefetch)) }
        let queue = topology.queues[index % topology.queues.count]
        return (channel, try await channel.consume(queue, noAck: configuration.multiAck == 0))
    }

    private static func consume(
        _ channel: AMQPChannel, _ consumer: AMQPConsumer, _ configuration: PerfConfiguration, _ counters: PerfCounters
    ) async throws {
        var count = 0
        for try await delivery in consumer {
            let now = NIODeadline.now().uptimeNanoseconds
            if let sentAt = delivery.body.getInteger(at: delivery.body.readerIndex, as: UInt64.self), now >= sentAt {
                counters.received(latencyMicros: (now - sentAt) / 1000)
            }
            count += 1
            if configuration.multiAck > 0 && count % configuration.multiAck == 0 {
                try await channel.ack(deliveryTag: delivery.deliveryTag, multiple: configuration.multiAck > 1)
            }
        }
    }

    /// A producer's connection and channel, in confirm mode if the run asks for confirms.
    private static func openProducer(
        _ configuration: PerfConfiguration, _ connections: ConnectionRegistry
    ) async throws -> AMQPChannel {
        let connection = try await AMQPConnection.connect(to: configuration.url)
        await connections.add(connection)
        let channel = try await connection.openChannel()
        if configuration.confirmWindow > 0 { try await channel.confirmSelect() }
        return channel
    }

    private static func produce(
        index: Int, _ channel: AMQPChannel, _ configuration: PerfConfiguration, _ topology: PerfTopology,
        _ counters: PerfCounters, _ deadline: NIODeadline?
    ) async throws {
        let window = UInt64(configuration.confirmWindow)
        let route = topology.route(toQueue: index % topology.queues.count)
        var properties = BasicProperties()
        if configuration.persistent { properties.deliveryMode = 2 }
        properties.headers = route.headers
        let template = ByteBuffer(repeating: UInt8(ascii: "w"), count: configuration.bodySize)
        let start = NIODeadline.now()
        var sent = 0
        var confirmedUpTo: UInt64 = 0
        var nacksCounted: UInt64 = 0
        var unreported = 0
        while !Task.isCancelled {
            let now = NIODeadline.now()
            if let deadline, now >= deadline { break }
            if configuration.messageCount > 0 && sent >= configuration.messageCount { break }
            if configuration.rate > 0 {
                let due = Int(Double((now - start).nanoseconds) / 1e9 * configuration.rate) + 1
                if sent >= due {
                    try await Task.sleep(for: .microseconds(500))
                    continue
                }
            }
            var body = template
            body.setInteger(NIODeadline.now().uptimeNanoseconds, at: body.readerIndex)
            let sequence = try await channel.publish(body, exchange: topology.exchange, routingKey: route.key,
                                                     properties: properties)
            sent += 1
            unreported += 1
            if unreported == 64 {
                counters.sent(unreported)
                unreported = 0
            }
            // At most `window` unconfirmed: read how far confirms have come (no waiting), and
            // wait only when the window is full. Waiting on every publish once it first filled
            // cost two thread hops per message, most of this client's CPU time.
            if window > 0 && sequence - confirmedUpTo >= window {
                var progress = channel.confirmProgress
                if progress.settledThrough + window <= sequence {
                    _ = try await channel.waitForConfirm(sequence - window + 1)
                    progress = channel.confirmProgress
                }
                count(progress)
            }
        }
        counters.sent(unreported)
        if window > 0 && !Task.isCancelled {
            try await channel.waitForConfirms()
            count(channel.confirmProgress)
        }

        func count(_ progress: AMQPConfirmProgress) {
            let nacks = Int(progress.nacks - nacksCounted)
            counters.confirmed(Int(progress.settledThrough - confirmedUpTo) - nacks, nacks: nacks)
            confirmedUpTo = progress.settledThrough
            nacksCounted = progress.nacks
        }
    }
}

/// Every connection a run opened, so the end of the run can close them all.
actor ConnectionRegistry {
    private var connections: [AMQPConnection] = []

    func add(_ connection: AMQPConnection) { connections.append(connection) }

    func closeAll() async {
        let all = connections
        connections = []
        for connection in all { try? await connection.close() }
    }
}
