import Foundation
import WarrenBroker

/// The node object and the overview.
enum NodeJSON {
    static let exchangeTypes: JSON = .array([
        ("direct", "AMQP direct exchange, as per the AMQP specification"),
        ("fanout", "AMQP fanout exchange, as per the AMQP specification"),
        ("headers", "AMQP headers exchange, as per the AMQP specification"),
        ("topic", "AMQP topic exchange, as per the AMQP specification"),
    ].map { .sorted([("description", .string($0.1)), ("enabled", .bool(true)), ("name", .string($0.0))]) })

    static func contexts(port: Int, node: String?) -> JSON {
        var pairs: [(String, JSON)] = [
            ("cowboy_opts", .string("[]")), ("description", .string("Warren management API")),
            ("path", .string("/")), ("port", .string(String(port))),
        ]
        if let node { pairs.append(("node", .string(node))) }
        return .array([.sorted(pairs)])
    }

    static func node(
        _ s: BrokerSnapshot, metrics: NodeMetrics, series: SampleSeries, churnSeries: SampleSeries, managementPort: Int
    ) -> JSON {
        let churn = s.churn
        func detailed(_ name: String, _ value: Int, _ index: Int?) -> [(String, JSON)] {
            [(name, .int(value)), (name + "_details", index.map { series.details($0, history: nil) }
                ?? .object([("rate", .double(0))]))]
        }
        var pairs: [(String, JSON)] = [
            ("applications", .array([.sorted([("description", .string("Warren embedded broker")),
                                              ("name", .string("warren")),
                                              ("version", .string(ObjectJSON.managementVersion))])])),
            ("auth_mechanisms", .array([.sorted([("description", .string("SASL PLAIN authentication mechanism")),
                                                 ("enabled", .bool(true)), ("name", .string("PLAIN"))])])),
            ("cluster_links", .array([])), ("config_files", .array([])),
            ("contexts", contexts(port: managementPort, node: nil)), ("db_dir", .string("")),
            ("disk_free_alarm", .bool(s.diskAlarm)),
            ("disk_free_limit", .int(s.diskFreeLimit)), ("enabled_plugins", .array([
                .string("rabbitmq_management"), .string("rabbitmq_prometheus"),
            ])),
            ("exchange_types", exchangeTypes), ("fd_total", .int(metrics.fdTotal)), ("log_files", .array([])),
            ("mem_alarm", .bool(s.memoryAlarm)), ("mem_calculation_strategy", .string("rss")),
            ("mem_limit", .int(s.memoryLimit)), ("name", .string(s.nodeName)),
            ("os_pid", .string(String(ProcessInfo.processInfo.processIdentifier))), ("partitions", .array([])),
            ("processors", .int(metrics.processors)), ("rates_mode", .string("basic")), ("running", .bool(true)),
            ("sockets_total", .int(metrics.fdTotal)), ("type", .string("disc")), ("uptime", .int(s.uptimeMilliseconds)),
        ]
        pairs += detailed("mem_used", metrics.memoryUsed, 0)
        pairs += detailed("fd_used", metrics.fdUsed, 1)
        pairs += detailed("sockets_used", s.connections.count, 2)
        pairs += detailed("disk_free", metrics.diskFree, 3)
        // Warren keeps messages in memory: these disk counters are truly zero, not missing.
        for name in ["io_read_bytes", "io_read_count", "io_reopen_count", "io_seek_count", "io_sync_count",
                     "io_write_bytes", "io_write_count", "msg_store_read_count", "msg_store_write_count",
                     "queue_index_read_count", "queue_index_write_count"] {
            pairs += detailed(name, 0, nil)
        }
        for name in ["io_read_avg_time", "io_seek_avg_time", "io_sync_avg_time", "io_write_avg_time"] {
            pairs += [(name, .double(0)), (name + "_details", .object([("rate", .double(0))]))]
        }
        let churnValues: [(String, UInt64)] = [
            ("channel_closed", churn.channelClosed), ("channel_created", churn.channelCreated),
            ("connection_closed", churn.connectionClosed), ("connection_created", churn.connectionCreated),
            ("queue_created", churn.queueCreated), ("queue_declared", churn.queueDeclared),
            ("queue_deleted", churn.queueDeleted),
        ]
        for (name, value) in churnValues {
            let index = StatsSampler.overviewFields.firstIndex(of: name)
            pairs += [(name, .int(value)), (name + "_details", index.map { churnSeries.details($0, history: nil) }
                ?? .object([("rate", .double(0))]))]
        }
        return .sorted(pairs)
    }

    static func overview(
        _ s: BrokerSnapshot, series: SampleSeries, options: RenderOptions, user: BrokerConfiguration.User,
        managementPort: Int
    ) -> JSON {
        let fields = StatsSampler.overviewFields
        let t = s.channelTotals
        let c = s.churn
        let ready = s.queues.reduce(0) { $0 + $1.ready }
        let unacked = s.queues.reduce(0) { $0 + $1.unacked }
        let messageStats: [(String, UInt64)] = [
            ("ack", t.acked), ("confirm", t.confirmed), ("deliver", t.delivered), ("deliver_get", t.deliverGet),
            ("deliver_no_ack", t.deliveredNoAck), ("disk_reads", 0), ("disk_writes", 0),
            ("drop_unroutable", t.droppedUnroutable), ("get", t.got), ("get_empty", t.getEmpty),
            ("get_no_ack", t.gotNoAck), ("publish", t.published), ("redeliver", t.redelivered),
            ("return_unroutable", t.returnedUnroutable),
        ]
        let churn: [(String, UInt64)] = [
            ("channel_closed", c.channelClosed), ("channel_created", c.channelCreated),
            ("connection_closed", c.connectionClosed), ("connection_created", c.connectionCreated),
            ("queue_created", c.queueCreated), ("queue_declared", c.queueDeclared), ("queue_deleted", c.queueDeleted),
        ]
        let totals: [(String, UInt64)] = [("messages", UInt64(ready + unacked)), ("messages_ready", UInt64(ready)),
                                          ("messages_unacknowledged", UInt64(unacked))]
        func listener(_ port: Int, _ name: String) -> JSON {
            .sorted([
                ("ip_address", .string(s.amqpHost)), ("node", .string(s.nodeName)), ("port", .int(port)),
                ("protocol", .string(name)),
                ("socket_opts", .sorted([("backlog", .int(256)), ("nodelay", .bool(true))])),
            ])
        }
        let listeners = [listener(s.amqpPort, "amqp")] + (s.amqpsPort.map { [listener($0, "amqp/ssl")] } ?? [])
        return .sorted([
            ("churn_rates", ObjectJSON.counterObject(churn, series: series, fields: fields)),
            ("cluster_name", .string(s.clusterName)), ("contexts", contexts(port: managementPort, node: s.nodeName)),
            ("disable_stats", .bool(options.disableStats)), ("enable_queue_totals", .bool(options.enableQueueTotals)),
            ("erlang_full_version", .string("none (Warren is written in Swift)")),
            ("erlang_version", .string("none")), ("exchange_types", exchangeTypes),
            ("listeners", .array(listeners)), ("management_version", .string(ObjectJSON.managementVersion)),
            ("message_stats", ObjectJSON.counterObject(messageStats, series: series, fields: fields,
                                                       history: options.messageRates)),
            ("node", .string(s.nodeName)),
            ("object_totals", .sorted([
                ("channels", .int(s.channels.count)), ("connections", .int(s.connections.count)),
                ("consumers", .int(s.consumers.count)), ("exchanges", .int(s.exchanges.count)),
                ("queues", .int(s.queues.count)),
            ])),
            ("product_name", .string("Warren")), ("product_version", .string(ObjectJSON.managementVersion)),
            ("queue_totals", ObjectJSON.counterObject(totals, series: series, fields: fields,
                                                      history: options.lengths)),
            ("rabbitmq_version", .string(ObjectJSON.managementVersion)), ("rates_mode", .string("basic")),
            ("release_series_support_status", .string("supported")),
            ("sample_retention_policies", .sorted([("basic", .array([.int(60)])), ("detailed", .array([.int(60)])),
                                                   ("global", .array([.int(60)]))])),
            ("statistics_db_event_queue", .int(0)),
        ])
    }
}
