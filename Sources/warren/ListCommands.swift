import ArgumentParser
import Foundation
import WarrenMonitor

/// Takes one snapshot: through the management API, or over AMQP for `queues` named with --queue.
/// `withoutClients` skips /api/consumers and /api/connections (what `warren queues` does not show).
func takeSnapshot(_ broker: BrokerOptions, amqpQueues: [String] = [], withoutClients: Bool = false,
                  everyQueuesStatistics: Bool = false) async throws -> Snapshot
{
    let source: any MonitorSource
    var options = ManagementOptions(skipConnections: withoutClients, timeout: .seconds(8))
    options.everyQueuesStatistics = everyQueuesStatistics
    if let management = try broker.managementSource(options) {
        source = management
    } else if !amqpQueues.isEmpty {
        source = try AMQPSource(url: broker.amqpURL, queues: amqpQueues)
    } else {
        throw MonitorError.failed("this needs the management API: give --management URL (or --queue NAME for AMQP only)")
    }
    let status = await Poller(source: source).poll()
    if let amqpSource = source as? AMQPSource { await amqpSource.close() }
    if let error = status.error { throw error }
    return status.snapshot!
}

struct QueuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues", abstract: "List queues with depth, rates, message states and DLQ role.")

    @OptionGroup var broker: BrokerOptions
    @Flag(name: .long, help: "JSON output.") var json = false
    @Flag(name: .long, help: ArgumentHelp(
        "Rates for every queue. From 1,000 queues on, only dead-letter queues get them otherwise: RabbitMQ takes seconds to compute every queue's."))
    var stats = false
    @Option(name: .long, help: "Without a management API: a queue to look at over AMQP (repeatable).")
    var queue: [String] = []

    struct Row: Encodable {
        var vhost, name, type: String
        var messages, ready, unacked, consumers: Int?
        var publishRate, deliverRate, depthRate: Rate?
        var messageStates: MessageStates?
        var deadLetterQueue: Bool
        var deadLetterSources: [String]
        var leader: String?
        var members, online: [String]?
    }

    func run() async throws {
        try await reportingErrors("queues") {
            // On a large broker the poll plan applies: the inventory, with statistics for the
            // dead-letter queues only (a note says so), unless --stats.
            let snapshot = try await takeSnapshot(broker, amqpQueues: queue, withoutClients: true,
                                                  everyQueuesStatistics: stats)
            let rows = snapshot.queues.indices.sorted { snapshot.queues[$0].id < snapshot.queues[$1].id }.lazy.map { index in
                let q = snapshot.queues[index]
                let dlq = snapshot.deadLetters.queue(q.id)
                let rates = snapshot.queueRates[q.id]
                return Row(vhost: q.vhost, name: q.name, type: q.type, messages: q.messages, ready: q.messagesReady,
                           unacked: q.messagesUnacknowledged, consumers: q.consumers, publishRate: rates?.publish,
                           deliverRate: rates?.deliver, depthRate: rates?.depth,
                           messageStates: snapshot.messageStates[q.id], deadLetterQueue: dlq != nil,
                           deadLetterSources: dlq?.sources.map(\.description) ?? [], leader: q.leader,
                           members: q.members, online: q.online)
            }
            if json {
                try streamJSONArray(rows)
                for gap in snapshot.gaps { printError("note: \(gap)") }
                return
            }
            var table = TextTable(headers: ["VHOST", "NAME", "TYPE", "MESSAGES", "READY", "UNACKED", "CONSUMERS",
                                            "IN/S", "OUT/S", "STATES", "DLQ"], numeric: [3, 4, 5, 6, 7, 8])
            for row in rows {
                table.rows.append([row.vhost, row.name, row.type, formatCount(row.messages), formatCount(row.ready),
                                   formatCount(row.unacked), formatCount(row.consumers), formatRate(row.publishRate),
                                   formatRate(row.deliverRate), describe(row.messageStates),
                                   row.deadLetterQueue ? (row.deadLetterSources.isEmpty ? "yes (name)"
                                       : "<- " + row.deadLetterSources.joined(separator: ",")) : ""])
            }
            print(table.render())
            for gap in snapshot.gaps { printError("note: \(gap)") }
        }
    }

    private func describe(_ states: MessageStates?) -> String {
        guard let states else { return "-" }
        switch states.precision {
        case .exact:
            return "a\(states.alpha ?? 0) b\(states.beta ?? 0) g\(states.gamma ?? 0) d\(states.delta ?? 0)"
        case .classicQueues:
            return "a\(states.alpha ?? 0) b+g\(states.betaGamma ?? 0) d\(states.delta ?? 0)"
        case .ramVersusPagedOut, .quorumInMemory:
            return "ram\(states.inMemory ?? 0) disk\(states.notInMemory ?? 0)"
        case .unknown:
            return "-"
        }
    }
}

struct ExchangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchanges", abstract: "List exchanges.")

    @OptionGroup var broker: BrokerOptions
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() async throws {
        try await reportingErrors("exchanges") {
            let snapshot = try await takeSnapshot(broker)
            let exchanges = snapshot.exchanges.sorted { ($0.vhost, $0.name) < ($1.vhost, $1.name) }
            if json { return try printJSON(exchanges) }
            var table = TextTable(headers: ["VHOST", "NAME", "TYPE", "DURABLE", "BINDINGS"], numeric: [4])
            for e in exchanges {
                let bindings = snapshot.bindings.filter { $0.vhost == e.vhost && $0.source == e.name }.count
                table.rows.append([e.vhost, e.name.isEmpty ? "(default)" : e.name, e.type, e.durable ? "yes" : "no",
                                   String(bindings)])
            }
            print(table.render())
        }
    }
}

struct ConsumersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "consumers", abstract: "List consumers.")

    @OptionGroup var broker: BrokerOptions
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() async throws {
        try await reportingErrors("consumers") {
            let snapshot = try await takeSnapshot(broker)
            let consumers = snapshot.consumers.sorted { ($0.queue, $0.consumerTag) < ($1.queue, $1.consumerTag) }
            if json { return try printJSON(consumers) }
            var table = TextTable(headers: ["QUEUE", "TAG", "ACK", "PREFETCH", "ACTIVE", "CONNECTION"], numeric: [3])
            for c in consumers {
                table.rows.append([c.queue.description, c.consumerTag, c.ackRequired ? "manual" : "auto",
                                   formatCount(c.prefetchCount), c.active ? "yes" : "no", c.connectionName ?? "-"])
            }
            print(table.render())
        }
    }
}

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List cluster nodes, alarms, partitions and quorum queue replicas.")

    @OptionGroup var broker: BrokerOptions
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() async throws {
        try await reportingErrors("nodes") {
            let snapshot = try await takeSnapshot(broker)
            if json { return try printJSON(snapshot.cluster) }
            var table = TextTable(headers: ["NODE", "RUNNING", "MEM USED", "MEM LIMIT", "ALARMS", "PARTITIONS"],
                                  numeric: [2, 3])
            for n in snapshot.cluster.nodes.sorted(by: { $0.name < $1.name }) {
                let alarms = snapshot.cluster.alarms.filter { $0.node == n.name }.map(\.kind.rawValue)
                table.rows.append([n.name, n.running ? "yes" : "NO", formatCount(n.memoryUsed),
                                   formatCount(n.memoryLimit), alarms.joined(separator: ","),
                                   n.partitions.joined(separator: ",")])
            }
            print(table.render())
            if !snapshot.cluster.quorumQueues.isEmpty {
                var quorum = TextTable(headers: ["QUORUM QUEUE", "LEADER", "MEMBERS", "OFFLINE"])
                for q in snapshot.cluster.quorumQueues {
                    quorum.rows.append([q.queue.description, q.leader ?? "-", q.members.joined(separator: ","),
                                        q.offline.joined(separator: ",")])
                }
                print("\n" + quorum.render())
            }
        }
    }
}
