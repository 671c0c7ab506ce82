import Foundation
import WarrenBroker

/// Exchanges, bindings, consumers, connections, channels, vhosts and users in RabbitMQ 3.10's shapes.
enum ObjectJSON {
    static let managementVersion = "3.10.8"

    static func exchange(_ e: ExchangeSnapshot, series: SampleSeries?, options: RenderOptions) -> JSON {
        var pairs: [(String, JSON)] = [
            ("arguments", JSON(e.arguments)), ("auto_delete", .bool(e.autoDelete)), ("durable", .bool(e.durable)),
            ("internal", .bool(e.isInternal)), ("name", .string(e.name)), ("type", .string(e.type)),
            ("user_who_performed_action", .string("rmq-internal")), ("vhost", .string(e.vhost)),
        ]
        // RabbitMQ lists `policy` only for an exchange that has one.
        if let policy = e.policy { pairs.append(("policy", .string(policy))) }
        if !options.disableStats, let series, e.publishIn > 0 || e.publishOut > 0 {
            pairs.append(("message_stats", .sorted([
                ("publish_in", .int(e.publishIn)),
                ("publish_in_details", series.details(0, history: options.messageRates)),
                ("publish_out", .int(e.publishOut)),
                ("publish_out_details", series.details(1, history: options.messageRates)),
            ])))
        }
        return .sorted(pairs)
    }

    static func binding(_ b: BindingSnapshot) -> JSON {
        .sorted([
            ("arguments", JSON(b.arguments)), ("destination", .string(b.destination)),
            ("destination_type", .string(b.destinationIsQueue ? "queue" : "exchange")),
            ("properties_key", .string(propertiesKey(b))), ("routing_key", .string(b.routingKey)),
            ("source", .string(b.source)), ("vhost", .string(b.vhost)),
        ])
    }

    /// RabbitMQ's properties_key: the routing key form-encoded (space as +), or "~" for an empty
    /// one; with arguments, "~" and a digest of them (RabbitMQ's own digest differs).
    static func propertiesKey(_ b: BindingSnapshot) -> String {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~ "))
        var key = b.routingKey.isEmpty ? "~" : (b.routingKey.addingPercentEncoding(withAllowedCharacters: unreserved)
            ?? b.routingKey).replacingOccurrences(of: " ", with: "+")
        if !b.arguments.isEmpty {
            var hash: UInt32 = 2_166_136_261
            for byte in JSON(b.arguments).encoded().readableBytesView { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            key += "~" + String(hash, radix: 36)
        }
        return key
    }

    static func channelDetails(_ c: ChannelIdentity, node: String) -> JSON {
        .sorted([
            ("connection_name", .string(c.connectionName)), ("name", .string(c.name)), ("node", .string(node)),
            ("number", .int(c.number)), ("peer_host", .string(c.peerHost)), ("peer_port", .int(c.peerPort)),
            ("user", .string(c.user)),
        ])
    }

    static func consumer(_ c: ConsumerSnapshot, node: String) -> JSON {
        var arguments: [(String, JSON)] = []
        if c.priority != 0 { arguments.append(("x-priority", .int(c.priority))) }
        return .sorted([
            ("ack_required", .bool(c.ackRequired)), ("active", .bool(c.active)),
            ("activity_status", .string(c.active ? "up" : "waiting")), ("arguments", .object(arguments)),
            ("channel_details", channelDetails(c.channel, node: node)), ("consumer_tag", .string(c.tag)),
            ("exclusive", .bool(c.exclusive)), ("prefetch_count", .int(c.prefetch)),
            ("queue", .sorted([("name", .string(c.queue)), ("vhost", .string(c.vhost))])),
        ])
    }

    static func connection(_ c: ConnectionSnapshot, series: SampleSeries?, node: String) -> JSON {
        let series = series ?? SampleSeries()
        return .sorted([
            ("auth_mechanism", .string("PLAIN")), ("channel_max", .int(c.channelMax)), ("channels", .int(c.channels)),
            ("client_properties", JSON(c.clientProperties)), ("connected_at", .int(c.connectedAt)),
            ("frame_max", .int(c.frameMax)), ("host", .string(c.host)), ("name", .string(c.name)),
            ("node", .string(node)), ("peer_cert_issuer", .null), ("peer_cert_subject", .null),
            ("peer_cert_validity", .null), ("peer_host", .string(c.peerHost)), ("peer_port", .int(c.peerPort)),
            ("port", .int(c.port)), ("protocol", .string("AMQP 0-9-1")), ("recv_cnt", .int(c.receiveCount)),
            ("recv_oct", .int(c.receivedOctets)), ("recv_oct_details", series.details(0, history: nil)),
            ("send_cnt", .int(c.sendCount)), ("send_oct", .int(c.sentOctets)),
            ("send_oct_details", series.details(1, history: nil)), ("send_pend", .int(0)), ("ssl", .bool(c.ssl)),
            ("ssl_cipher", .null), ("ssl_hash", .null), ("ssl_key_exchange", .null),
            ("ssl_protocol", c.sslProtocol.map(JSON.string) ?? .null),
            ("state", .string(c.blocked ? "blocked" : c.inFlow ? "flow" : "running")), ("timeout", .int(c.heartbeat)),
            ("type", .string("network")), ("user", .string(c.user)),
            ("user_who_performed_action", .string(c.user)), ("vhost", .string(c.vhost)),
        ])
    }

    static func channel(_ c: ChannelSnapshot, series: SampleSeries?, node: String) -> JSON {
        let counters = channelCounters(c.stats)
        return .sorted([
            ("acks_uncommitted", .int(c.uncommittedAcks)), ("confirm", .bool(c.confirm)),
            ("connection_details", .sorted([("name", .string(c.identity.connectionName)),
                                            ("peer_host", .string(c.identity.peerHost)),
                                            ("peer_port", .int(c.identity.peerPort))])),
            ("consumer_count", .int(c.consumerCount)), ("global_prefetch_count", .int(c.globalPrefetch)),
            ("message_stats", counterObject(counters, series: series ?? SampleSeries(), fields: StatsSampler.channelFields)),
            ("messages_unacknowledged", .int(c.unacked)), ("messages_uncommitted", .int(c.uncommittedMessages)),
            ("messages_unconfirmed", .int(c.unconfirmed)), ("name", .string(c.identity.name)),
            ("node", .string(node)), ("number", .int(c.identity.number)), ("pending_raft_commands", .int(0)),
            ("prefetch_count", .int(c.prefetch)), ("state", .string("running")),
            ("transactional", .bool(c.transactional)), ("user", .string(c.identity.user)),
            ("user_who_performed_action", .string(c.identity.user)), ("vhost", .string(c.vhost)),
        ])
    }

    /// A channel's counters under RabbitMQ's names (also a vhost's, summed over its channels).
    static func channelCounters(_ s: ChannelStatistics) -> [(String, UInt64)] {
        [("ack", s.acked), ("confirm", s.confirmed), ("deliver", s.delivered), ("deliver_get", s.deliverGet),
         ("deliver_no_ack", s.deliveredNoAck), ("get", s.got), ("get_empty", s.getEmpty), ("get_no_ack", s.gotNoAck),
         ("publish", s.published), ("redeliver", s.redelivered), ("return_unroutable", s.returnedUnroutable),
         ("drop_unroutable", s.droppedUnroutable)]
    }

    /// Counters with `_details`; rates from `series` when its fields are named like the counters.
    static func counterObject(_ counters: [(String, UInt64)], series: SampleSeries?, fields: [String] = [],
                              history: HistoryRequest? = nil) -> JSON {
        var pairs: [(String, JSON)] = []
        for (name, value) in counters {
            pairs.append((name, .int(value)))
            if let series, let index = fields.firstIndex(of: name) {
                pairs.append((name + "_details", series.details(index, history: history)))
            } else {
                pairs.append((name + "_details", .object([("rate", .double(0))])))
            }
        }
        return .sorted(pairs)
    }

    /// A vhost; its length rates are the sums of its queues' rates, its message_stats and bytes
    /// those of its channels and connections.
    static func vhost(
        _ name: String, queues: [QueueSnapshot], series: [String: SampleSeries], traffic: VhostTraffic,
        trafficSeries: SampleSeries?, node: String
    ) -> JSON {
        let trafficSeries = trafficSeries ?? SampleSeries()
        let octets = StatsSampler.channelFields.count
        let ready = queues.reduce(0) { $0 + $1.ready }
        let unacked = queues.reduce(0) { $0 + $1.unacked }
        func rate(_ index: Int) -> JSON {
            .object([("rate", .double(queues.reduce(0) {
                $0 + (series[StatsSampler.key($1.vhost, $1.name)]?.rate(index) ?? 0)
            }))])
        }
        let description = name == "/" ? "Default virtual host" : ""
        return .sorted([
            ("cluster_state", .object([(node, .string("running"))])), ("default_queue_type", .string("undefined")),
            ("description", .string(description)), ("messages", .int(ready + unacked)),
            ("messages_details", rate(0)), ("messages_ready", .int(ready)), ("messages_ready_details", rate(1)),
            ("messages_unacknowledged", .int(unacked)), ("messages_unacknowledged_details", rate(2)),
            ("metadata", .sorted([("description", .string(description)), ("tags", .array([]))])),
            ("message_stats", counterObject(channelCounters(traffic.stats), series: trafficSeries,
                                            fields: StatsSampler.channelFields)),
            ("name", .string(name)), ("recv_oct", .int(traffic.receivedOctets)),
            ("recv_oct_details", trafficSeries.details(octets, history: nil)), ("send_oct", .int(traffic.sentOctets)),
            ("send_oct_details", trafficSeries.details(octets + 1, history: nil)),
            ("tags", .array([])), ("tracing", .bool(false)),
        ])
    }

    static func user(_ user: BrokerConfiguration.User) -> JSON {
        .sorted([
            ("hashing_algorithm", .string(PasswordHash.algorithm)), ("limits", .object([])),
            ("name", .string(user.name)), ("password_hash", .string(user.passwordHash.base64)),
            ("tags", .array(user.tags.map(JSON.string))),
        ])
    }

    static func whoami(_ user: BrokerConfiguration.User) -> JSON {
        .sorted([("name", .string(user.name)), ("tags", .array(user.tags.map(JSON.string)))])
    }
}
