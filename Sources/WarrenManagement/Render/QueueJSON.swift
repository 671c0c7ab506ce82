import Foundation
import WarrenBroker

/// What a rendering needs besides the object: the node's name, the samples for rates, and the
/// query's statistics options.
struct RenderOptions: Sendable {
    var node: String
    var disableStats = false
    var enableQueueTotals = false
    var lengths: HistoryRequest?
    var messageRates: HistoryRequest?
}

enum QueueJSON {
    /// A queue as GET /api/queues shows it (RabbitMQ 3.10's keys, sorted).
    static func render(_ q: QueueSnapshot, series: SampleSeries?, options: RenderOptions) -> JSON {
        var pairs: [(String, JSON)] = [
            ("arguments", JSON(q.arguments)),
            ("auto_delete", .bool(q.autoDelete)),
            ("durable", .bool(q.durable)),
            ("exclusive", .bool(q.exclusive)),
            ("name", .string(q.name)),
            ("node", .string(options.node)),
            ("state", .string("running")),
            ("type", .string(q.isQuorum ? "quorum" : "classic")),
            ("vhost", .string(q.vhost)),
        ]
        if options.disableStats {
            if options.enableQueueTotals {
                pairs += [("messages", .int(q.messages)), ("messages_ready", .int(q.ready)),
                          ("messages_unacknowledged", .int(q.unacked))]
            }
            return .sorted(pairs)
        }
        let series = series ?? SampleSeries()
        pairs += [
            ("consumer_capacity", .double(q.consumerUtilisation)),
            ("consumer_utilisation", .double(q.consumerUtilisation)),
            ("consumers", .int(q.consumers)),
            ("effective_policy_definition", JSON(q.effectivePolicy)),
            ("memory", .int(q.memory)),
            ("message_bytes", .int(q.readyBytes + q.unackedBytes)),
            ("message_bytes_persistent", .int(q.persistentBytes)),
            ("message_bytes_ram", .int(q.messageBytesRAM)),
            ("message_bytes_ready", .int(q.readyBytes)),
            ("message_bytes_unacknowledged", .int(q.unackedBytes)),
            ("messages", .int(q.messages)),
            ("messages_details", series.details(0, history: options.lengths)),
            ("messages_persistent", .int(q.persistent)),
            ("messages_ram", .int(q.messagesRAM)),
            ("messages_ready", .int(q.ready)),
            ("messages_ready_details", series.details(1, history: options.lengths)),
            ("messages_unacknowledged", .int(q.unacked)),
            ("messages_unacknowledged_details", series.details(2, history: options.lengths)),
            ("operator_policy", q.operatorPolicy.map(JSON.string) ?? .null),
            ("policy", q.policy.map(JSON.string) ?? .null),
        ]
        // Like RabbitMQ, a queue that never saw a message has no message_stats.
        if q.stats != QueueStatistics() {
            pairs.append(("message_stats", messageStats(q.stats, series: series, options: options)))
        }
        if q.isQuorum {
            pairs += [
                ("leader", .string(options.node)),
                ("members", .array([.string(options.node)])),
                ("online", .array([.string(options.node)])),
                ("messages_dlx", .int(0)),
                ("message_bytes_dlx", .int(0)),
                ("open_files", .object([(options.node, .int(0))])),
                ("single_active_consumer_ctag", q.singleActiveConsumerTag.map(JSON.string) ?? .null),
            ]
        } else {
            pairs += [
                ("backing_queue_status", backingQueueStatus(q, series: series)),
                ("exclusive_consumer_tag", q.exclusiveConsumerTag.map(JSON.string) ?? .null),
                ("head_message_timestamp", q.headTimestamp.map { .int(Int64(clamping: $0)) } ?? .null),
                ("message_bytes_paged_out", .int(q.pagedOutTransientBytes)),
                ("messages_paged_out", .int(q.pagedOutTransient)),
                ("messages_ready_ram", .int(q.states.alpha)),
                ("messages_unacknowledged_ram", .int(q.unacked)),
                ("recoverable_slaves", .null),
                ("single_active_consumer_tag", q.singleActiveConsumerTag.map(JSON.string) ?? .null),
            ]
            if series.samples.count >= 2, series.lastChange < (series.samples.last?.time ?? 0) {
                pairs.append(("idle_since", .string(timestamp(series.lastChange))))
            }
        }
        return .sorted(pairs)
    }

    /// RabbitMQ's message_stats: each counter with its `_details` rate.
    static func messageStats(_ s: QueueStatistics, series: SampleSeries, options: RenderOptions) -> JSON {
        let values: [UInt64] = [s.published, s.delivered, s.deliveredNoAck, s.got, s.gotNoAck, s.getEmpty,
                                s.deliverGet, s.redelivered, s.acked]
        var pairs: [(String, JSON)] = []
        for (offset, value) in values.enumerated() {
            let name = StatsSampler.queueFields[offset + 3]
            pairs.append((name, .int(value)))
            pairs.append((name + "_details", series.details(offset + 3, history: options.messageRates)))
        }
        return .sorted(pairs)
    }

    /// The classic queue's backing_queue_status, from the storage's own counts: q4 and q1 are the
    /// alphas in front of and behind the delta run, q3 and q2 the betas and gammas; Warren adds the
    /// exact `message_states`, which RabbitMQ's q1..q4 cannot separate.
    static func backingQueueStatus(_ q: QueueSnapshot, series: SampleSeries) -> JSON {
        let delta: JSON = q.states.delta == 0
            ? .array([.string("delta"), .string("undefined"), .int(0), .int(0), .string("undefined")])
            : .array([.string("delta"), .int(0), .int(q.states.delta), .int(0), .int(q.states.delta)])
        let version = q.arguments["x-queue-version"]?.int64Value ?? 1
        return .sorted([
            ("avg_ack_egress_rate", .double(max(0, series.rate(11)))),
            ("avg_ack_ingress_rate", .double(max(0, series.rate(4)))),
            ("avg_egress_rate", .double(max(0, series.rate(9)))),
            ("avg_ingress_rate", .double(max(0, series.rate(3)))),
            ("delta", delta),
            ("len", .int(q.ready)),
            ("mode", .string(q.isLazy ? "lazy" : "default")),
            ("next_deliver_seq_id", .int(q.stats.deliverGet)),
            ("next_seq_id", .int(q.nextSequence)),
            ("q1", .int(q.states.q1)),
            ("q2", .int(q.states.q2)),
            ("q3", .int(q.states.q3)),
            ("q4", .int(q.states.q4)),
            ("target_ram_count", .string("infinity")),
            ("version", .int(version)),
            ("message_states", .sorted([("alpha", .int(q.states.alpha)), ("beta", .int(q.states.beta)),
                                        ("gamma", .int(q.states.gamma)), ("delta", .int(q.states.delta))])),
        ])
    }

    /// RabbitMQ 3.10's timestamp form: 2026-11-25T05:40:53.015+00:00.
    static func timestamp(_ seconds: Double) -> String {
        let date = Date(timeIntervalSince1970: seconds)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        func pad(_ n: Int?, _ width: Int = 2) -> String {
            let text = String(n ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))."
            + "\(pad((c.nanosecond ?? 0) / 1_000_000, 3))+00:00"
    }
}
