import Foundation
import Prometheus
import WarrenBroker

/// `GET /metrics` in the Prometheus text format, with rabbitmq_prometheus' metric names for what
/// Warren has. Like rabbitmq_prometheus' default, the figures are aggregated over all objects.
/// Each scrape fills a fresh registry from one snapshot, so deleted queues never linger.
struct PrometheusMetrics: Sendable {
    let api: ManagementAPI

    func render() async -> String {
        guard let snapshot = try? await api.snapshot(.all) else { return "" }
        let node = NodeMetrics.read(snapshot)
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ value: Int, _ help: String) {
            registry.makeGauge(descriptor: .named(name, help: help)).set(Int64(value))
        }
        func counter(_ name: String, _ value: UInt64, _ help: String) {
            registry.makeCounter(descriptor: .named(name, help: help)).increment(by: Int64(clamping: value))
        }
        let queues = snapshot.queues
        func sum(_ value: (QueueSnapshot) -> Int) -> Int { queues.reduce(0) { $0 + value($1) } }
        func sumStats(_ value: (QueueStatistics) -> UInt64) -> UInt64 { queues.reduce(0) { $0 + value($1.stats) } }

        gauge("rabbitmq_queue_messages_ready", sum(\.ready), "Messages ready to be delivered to consumers")
        gauge("rabbitmq_queue_messages_unacked", sum(\.unacked),
              "Messages delivered to consumers but not yet acknowledged")
        gauge("rabbitmq_queue_messages", sum(\.messages), "Sum of ready and unacknowledged messages - total queue depth")
        gauge("rabbitmq_queue_consumers", sum(\.consumers), "Consumers on a queue")
        gauge("rabbitmq_queue_process_memory_bytes", sum(\.memory), "Memory in bytes used by the queues (estimated)")
        gauge("rabbitmq_queue_messages_ram", sum(\.messagesRAM), "Ready and unacknowledged messages stored in memory")
        gauge("rabbitmq_queue_messages_ram_bytes", sum(\.messageBytesRAM),
              "Size of ready and unacknowledged messages stored in memory")
        gauge("rabbitmq_queue_messages_ready_ram", sum(\.states.alpha), "Ready messages stored in memory")
        gauge("rabbitmq_queue_messages_unacked_ram", sum(\.unacked), "Unacknowledged messages stored in memory")
        gauge("rabbitmq_queue_messages_persistent", sum(\.persistent), "Persistent messages")
        gauge("rabbitmq_queue_messages_persistent_bytes", sum(\.persistentBytes),
              "Size in bytes of persistent messages")
        gauge("rabbitmq_queue_messages_bytes", sum { $0.readyBytes + $0.unackedBytes },
              "Size in bytes of ready and unacknowledged messages")
        gauge("rabbitmq_queue_messages_ready_bytes", sum(\.readyBytes), "Size in bytes of ready messages")
        gauge("rabbitmq_queue_messages_unacked_bytes", sum(\.unackedBytes),
              "Size in bytes of all unacknowledged messages")
        gauge("rabbitmq_queue_messages_paged_out", sum(\.pagedOutTransient), "Messages paged out to disk")
        gauge("rabbitmq_queue_messages_paged_out_bytes", sum(\.pagedOutTransientBytes),
              "Size in bytes of messages paged out to disk")
        counter("rabbitmq_queue_messages_published_total", sumStats(\.published), "Total number of messages published to queues")

        let t = snapshot.channelTotals
        counter("rabbitmq_channel_messages_published_total", t.published,
                "Total number of messages published into an exchange on a channel")
        counter("rabbitmq_channel_messages_confirmed_total", t.confirmed,
                "Total number of messages published into an exchange and confirmed on the channel")
        counter("rabbitmq_channel_messages_unroutable_returned_total", t.returnedUnroutable,
                "Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable")
        counter("rabbitmq_channel_messages_unroutable_dropped_total", t.droppedUnroutable,
                "Total number of messages published as non-mandatory into an exchange and dropped as unroutable")
        counter("rabbitmq_channel_get_ack_total", t.got, "Total number of messages fetched with basic.get in manual acknowledgement mode")
        counter("rabbitmq_channel_get_total", t.gotNoAck, "Total number of messages fetched with basic.get in automatic acknowledgement mode")
        counter("rabbitmq_channel_messages_delivered_ack_total", t.delivered,
                "Total number of messages delivered to consumers in manual acknowledgement mode")
        counter("rabbitmq_channel_messages_delivered_total", t.deliveredNoAck,
                "Total number of messages delivered to consumers in automatic acknowledgement mode")
        counter("rabbitmq_channel_messages_redelivered_total", t.redelivered,
                "Total number of messages redelivered to consumers")
        counter("rabbitmq_channel_messages_acked_total", t.acked, "Total number of messages acknowledged by consumers")
        counter("rabbitmq_channel_get_empty_total", t.getEmpty, "Total number of times basic.get operations fetched no message")
        gauge("rabbitmq_channel_consumers", snapshot.consumers.count, "Consumers on a channel")
        gauge("rabbitmq_channel_messages_unacked", snapshot.channels.reduce(0) { $0 + $1.unacked },
              "Delivered but not yet acknowledged messages")
        gauge("rabbitmq_channel_messages_unconfirmed", snapshot.channels.reduce(0) { $0 + $1.unconfirmed },
              "Published but not yet confirmed messages")
        gauge("rabbitmq_channel_messages_uncommitted", snapshot.channels.reduce(0) { $0 + $1.uncommittedMessages },
              "Messages received in a transaction but not yet committed")
        gauge("rabbitmq_channel_acks_uncommitted", snapshot.channels.reduce(0) { $0 + $1.uncommittedAcks },
              "Message acknowledgements in a transaction not yet committed")

        let c = snapshot.churn
        counter("rabbitmq_connections_opened_total", c.connectionCreated, "Total number of connections opened")
        counter("rabbitmq_connections_closed_total", c.connectionClosed,
                "Total number of connections closed or terminated")
        counter("rabbitmq_channels_opened_total", c.channelCreated, "Total number of channels opened")
        counter("rabbitmq_channels_closed_total", c.channelClosed, "Total number of channels closed")
        counter("rabbitmq_queues_declared_total", c.queueDeclared, "Total number of queues declared")
        counter("rabbitmq_queues_created_total", c.queueCreated, "Total number of queues created")
        counter("rabbitmq_queues_deleted_total", c.queueDeleted, "Total number of queues deleted")
        counter("rabbitmq_connection_incoming_bytes_total", UInt64(snapshot.connections.reduce(0) { $0 + $1.receivedOctets }),
                "Total number of bytes received on a connection")
        counter("rabbitmq_connection_outgoing_bytes_total", UInt64(snapshot.connections.reduce(0) { $0 + $1.sentOctets }),
                "Total number of bytes sent on a connection")
        gauge("rabbitmq_connection_channels", snapshot.channels.count, "Channels on a connection")

        gauge("rabbitmq_connections", snapshot.connections.count, "Connections currently open")
        gauge("rabbitmq_channels", snapshot.channels.count, "Channels currently open")
        gauge("rabbitmq_consumers", snapshot.consumers.count, "Consumers currently connected")
        gauge("rabbitmq_queues", queues.count, "Queues available")
        gauge("rabbitmq_process_open_fds", node.fdUsed, "Open file descriptors")
        gauge("rabbitmq_process_max_fds", node.fdTotal, "Open file descriptors limit")
        gauge("rabbitmq_process_open_tcp_sockets", snapshot.connections.count, "Open TCP sockets")
        gauge("rabbitmq_process_resident_memory_bytes", node.memoryUsed, "Memory used in bytes")
        gauge("rabbitmq_resident_memory_limit_bytes", snapshot.memoryLimit,
              "Memory high watermark in bytes")
        gauge("rabbitmq_disk_space_available_bytes", node.diskFree, "Disk space available in bytes")
        gauge("rabbitmq_disk_space_available_limit_bytes", snapshot.diskFreeLimit,
              "Free disk space low watermark in bytes")
        gauge("rabbitmq_alarms_memory_used_watermark", snapshot.memoryAlarm ? 1 : 0,
              "is 1 if VM memory watermark alarm is in effect")
        gauge("rabbitmq_alarms_free_disk_space_watermark", snapshot.diskAlarm ? 1 : 0,
              "is 1 if free disk space watermark alarm is in effect")
        gauge("rabbitmq_alarms_file_descriptor_limit", 0, "is 1 if file descriptor limit alarm is in effect")
        gauge("rabbitmq_erlang_uptime_seconds", Int(snapshot.uptimeMilliseconds / 1000), "Node uptime")
        registry.makeGauge(descriptor: .named("rabbitmq_build_info", help: "RabbitMQ & Erlang/OTP version info"),
                           labels: [("rabbitmq_version", ObjectJSON.managementVersion), ("product", "Warren")])
            .set(Int64(1))
        registry.makeGauge(descriptor: .named("rabbitmq_identity_info", help: "RabbitMQ node & cluster identity info"),
                           labels: [("rabbitmq_node", snapshot.nodeName), ("rabbitmq_cluster", snapshot.clusterName)])
            .set(Int64(1))
        return registry.emitToString()
    }

    /// `GET /metrics/per-object`: the queue gauges and counters once per queue, labelled with
    /// `vhost` and `queue` as rabbitmq_prometheus labels them there.
    func renderPerObject() async -> String {
        guard let snapshot = try? await api.snapshot(.queues) else { return "" }
        let registry = PrometheusCollectorRegistry()
        let gauges: [(String, String, (QueueSnapshot) -> Int)] = [
            ("rabbitmq_queue_messages_ready", "Messages ready to be delivered to consumers", \.ready),
            ("rabbitmq_queue_messages_unacked", "Messages delivered to consumers but not yet acknowledged", \.unacked),
            ("rabbitmq_queue_messages", "Sum of ready and unacknowledged messages - total queue depth", \.messages),
            ("rabbitmq_queue_consumers", "Consumers on a queue", \.consumers),
            ("rabbitmq_queue_messages_bytes", "Size in bytes of ready and unacknowledged messages",
             { $0.readyBytes + $0.unackedBytes }),
            ("rabbitmq_queue_messages_persistent", "Persistent messages", \.persistent),
            ("rabbitmq_queue_process_memory_bytes", "Memory in bytes used by the queue (estimated)", \.memory),
        ]
        for queue in snapshot.queues {
            let labels = [("vhost", queue.vhost), ("queue", queue.name)]
            for (name, help, value) in gauges {
                registry.makeGauge(descriptor: .named(name, help: help), labels: labels).set(Int64(value(queue)))
            }
            registry.makeCounter(descriptor: .named("rabbitmq_queue_messages_published_total",
                                                     help: "Total number of messages published to queues"),
                                 labels: labels)
                .increment(by: Int64(clamping: queue.stats.published))
        }
        return registry.emitToString()
    }
}

extension MetricNameDescriptor {
    /// A metric named in full, as rabbitmq_prometheus names it (no namespace or unit parts).
    fileprivate static func named(_ name: String, help: String) -> Self {
        Self(metricName: name, unitName: "", helpText: help)
    }
}
