import Foundation
import Synchronization
import WarrenBroker

/// One sample of an object's counters and lengths: the values in order of ``SampleSeries/names``.
struct Sample: Sendable {
    /// Seconds since the Unix epoch.
    var time: Double
    var values: [Int64]
}

/// The last samples of one object, oldest first, and when its values last changed.
struct SampleSeries: Sendable {
    var samples: [Sample] = []
    var lastChange: Double = Date().timeIntervalSince1970

    /// A sample whose values did not change shares the previous sample's array: an idle queue's
    /// history is one array of values, not one per sample (2 KiB per queue otherwise).
    mutating func add(_ sample: Sample, keep: Int) {
        var sample = sample
        if let last = samples.last {
            if last.values != sample.values { lastChange = sample.time } else { sample.values = last.values }
        }
        if samples.isEmpty { samples.reserveCapacity(keep + 1) }
        samples.append(sample)
        if samples.count > keep { samples.removeFirst(samples.count - keep) }
    }

    /// Per second, between the last two samples.
    func rate(_ index: Int) -> Double {
        guard samples.count >= 2 else { return 0 }
        let a = samples[samples.count - 2]
        let b = samples[samples.count - 1]
        let dt = b.time - a.time
        guard dt > 0 else { return 0 }
        return Double(b.values[index] - a.values[index]) / dt
    }

    /// RabbitMQ's `_details` object: the rate, and with an age the samples within it, newest first.
    func details(_ index: Int, history: HistoryRequest?) -> JSON {
        var pairs: [(String, JSON)] = [("rate", .double(rate(index)))]
        guard let history, let newest = samples.last else { return .object(pairs) }
        var picked: [Sample] = []
        var next = newest.time
        for sample in samples.reversed() where sample.time >= newest.time - history.age && sample.time <= next + 0.001 {
            picked.append(sample)
            next = sample.time - history.increment
        }
        pairs.append(("samples", .array(picked.map {
            .sorted([("sample", .int($0.values[index])), ("timestamp", .int(Int64($0.time * 1000)))])
        })))
        let values = picked.map { Double($0.values[index]) }
        pairs.append(("avg", .double(values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count))))
        if let first = picked.last, first.time < newest.time {
            pairs.append(("avg_rate", .double(Double(newest.values[index] - first.values[index])
                / (newest.time - first.time))))
        } else {
            pairs.append(("avg_rate", .double(0)))
        }
        return .sorted(pairs)
    }
}

/// `lengths_age`/`lengths_incr` or `msg_rates_age`/`msg_rates_incr`, in seconds.
struct HistoryRequest: Sendable {
    var age: Double
    var increment: Double
}

/// Samples the broker's counters every interval, as RabbitMQ's statistics database does every
/// `collect_statistics_interval` (5 s), so rates and histories come from real samples.
final class StatsSampler: Sendable {
    static let queueFields = ["messages", "messages_ready", "messages_unacknowledged", "publish", "deliver",
                              "deliver_no_ack", "get", "get_no_ack", "get_empty", "deliver_get", "redeliver", "ack"]
    static let exchangeFields = ["publish_in", "publish_out"]
    static let overviewFields = ["messages", "messages_ready", "messages_unacknowledged", "publish", "confirm",
                                 "deliver", "deliver_no_ack", "get", "get_no_ack", "get_empty", "deliver_get",
                                 "redeliver", "ack", "return_unroutable", "drop_unroutable", "disk_reads",
                                 "disk_writes", "connection_created", "connection_closed", "channel_created",
                                 "channel_closed", "queue_created", "queue_declared", "queue_deleted"]
    static let connectionFields = ["recv_oct", "send_oct"]
    static let channelFields = ["ack", "confirm", "deliver", "deliver_get", "deliver_no_ack", "get", "get_empty",
                                "get_no_ack", "publish", "redeliver", "return_unroutable", "drop_unroutable"]

    static func values(_ s: ChannelStatistics) -> [Int64] {
        [s.acked, s.confirmed, s.delivered, s.deliverGet, s.deliveredNoAck, s.got, s.getEmpty, s.gotNoAck, s.published,
         s.redelivered, s.returnedUnroutable, s.droppedUnroutable].map { Int64(clamping: $0) }
    }
    static let nodeFields = ["mem_used", "fd_used", "sockets_used", "disk_free"]

    struct State: Sendable {
        var queues: [String: SampleSeries] = [:]
        var exchanges: [String: SampleSeries] = [:]
        var connections: [String: SampleSeries] = [:]
        var channels: [String: SampleSeries] = [:]
        var vhosts: [String: SampleSeries] = [:]
        var overview = SampleSeries()
        var node = SampleSeries()
    }

    let interval: Double
    /// How many samples each series keeps: enough for a minute of history at the default interval.
    let keep: Int
    private let state = Mutex(State())

    init(interval: Double, keep: Int = 13) {
        self.interval = interval
        self.keep = keep
    }

    static func key(_ vhost: String, _ name: String) -> String { vhost + "\u{0}" + name }

    static func values(_ q: QueueSnapshot) -> [Int64] {
        let s = q.stats
        return [Int64(q.messages), Int64(q.ready), Int64(q.unacked)]
            + [s.published, s.delivered, s.deliveredNoAck, s.got, s.gotNoAck, s.getEmpty, s.deliverGet, s.redelivered,
               s.acked].map { Int64(clamping: $0) }
    }

    static func values(_ snapshot: BrokerSnapshot) -> [Int64] {
        let t = snapshot.channelTotals
        let c = snapshot.churn
        let ready = snapshot.queues.reduce(0) { $0 + $1.ready }
        let unacked = snapshot.queues.reduce(0) { $0 + $1.unacked }
        let counters: [UInt64] = [t.published, t.confirmed, t.delivered, t.deliveredNoAck, t.got, t.gotNoAck, t.getEmpty,
                                  t.deliverGet, t.redelivered, t.acked, t.returnedUnroutable, t.droppedUnroutable, 0, 0,
                                  c.connectionCreated, c.connectionClosed, c.channelCreated, c.channelClosed,
                                  c.queueCreated, c.queueDeclared, c.queueDeleted]
        return [Int64(ready + unacked), Int64(ready), Int64(unacked)] + counters.map { Int64(clamping: $0) }
    }

    func record(_ snapshot: BrokerSnapshot, node: NodeMetrics) {
        let now = Date().timeIntervalSince1970
        let keep = self.keep
        state.withLock { state in
            var queues: [String: SampleSeries] = [:]
            queues.reserveCapacity(snapshot.queues.count)
            for queue in snapshot.queues {
                let key = Self.key(queue.vhost, queue.name)
                var series = state.queues[key] ?? SampleSeries(lastChange: now)
                series.add(Sample(time: now, values: Self.values(queue)), keep: keep)
                queues[key] = series
            }
            state.queues = queues
            var exchanges: [String: SampleSeries] = [:]
            for exchange in snapshot.exchanges {
                let key = Self.key(exchange.vhost, exchange.name)
                var series = state.exchanges[key] ?? SampleSeries()
                series.add(Sample(time: now, values: [Int64(clamping: exchange.publishIn),
                                                      Int64(clamping: exchange.publishOut)]), keep: keep)
                exchanges[key] = series
            }
            state.exchanges = exchanges
            var connections: [String: SampleSeries] = [:]
            for connection in snapshot.connections {
                var series = state.connections[connection.name] ?? SampleSeries()
                series.add(Sample(time: now, values: [Int64(connection.receivedOctets), Int64(connection.sentOctets)]),
                           keep: keep)
                connections[connection.name] = series
            }
            state.connections = connections
            var channels: [String: SampleSeries] = [:]
            for channel in snapshot.channels {
                var series = state.channels[channel.identity.name] ?? SampleSeries()
                series.add(Sample(time: now, values: Self.values(channel.stats)), keep: keep)
                channels[channel.identity.name] = series
            }
            state.channels = channels
            var vhosts: [String: SampleSeries] = [:]
            for (name, traffic) in snapshot.vhostTraffic {
                var series = state.vhosts[name] ?? SampleSeries()
                let values = Self.values(traffic.stats) + [Int64(traffic.receivedOctets), Int64(traffic.sentOctets)]
                series.add(Sample(time: now, values: values), keep: keep)
                vhosts[name] = series
            }
            state.vhosts = vhosts
            state.overview.add(Sample(time: now, values: Self.values(snapshot)), keep: keep)
            state.node.add(Sample(time: now, values: [Int64(node.memoryUsed), Int64(node.fdUsed),
                                                      Int64(snapshot.connections.count), Int64(node.diskFree)]),
                           keep: keep)
        }
    }

    func queue(_ vhost: String, _ name: String) -> SampleSeries {
        state.withLock { $0.queues[Self.key(vhost, name)] } ?? SampleSeries()
    }

    /// All queue series at once, for listings of many queues (one lock, not one per queue).
    func allQueues() -> [String: SampleSeries] { state.withLock { $0.queues } }
    func allExchanges() -> [String: SampleSeries] { state.withLock { $0.exchanges } }
    func allConnections() -> [String: SampleSeries] { state.withLock { $0.connections } }
    func allChannels() -> [String: SampleSeries] { state.withLock { $0.channels } }
    func allVhosts() -> [String: SampleSeries] { state.withLock { $0.vhosts } }
    var overview: SampleSeries { state.withLock { $0.overview } }
    var node: SampleSeries { state.withLock { $0.node } }
}
