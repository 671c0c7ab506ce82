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

    func run() async throws {
        try await reportingErrors("queues") {
            // On a large broker the poll plan applies: the inventory, with statistics for the
            // dead-letter queues only (a note says so), unless --stats.
            let snapshot = try await takeSnapshot(broker, amqpQueues: queue, withoutClients: true,
                                                  everyQueuesStatistics: stats)
            let rows = ListTables.queueListings(snapshot)
            if json {
                try streamJSONArray(rows)
                for gap in snapshot.gaps { printError("note: \(gap)") }
                return
            }
            print(ListTables.queues(rows).render())
            for gap in snapshot.gaps { printError("note: \(gap)") }
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
            if json { return try printJSON(snapshot.exchanges.sorted { ($0.vhost, $0.name) < ($1.vhost, $1.name) }) }
            print(ListTables.exchanges(snapshot).render())
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
            if json {
                return try printJSON(snapshot.consumers.sorted { ($0.queue, $0.consumerTag) < ($1.queue, $1.consumerTag) })
            }
            print(ListTables.consumers(snapshot).render())
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
            print(ListTables.nodes(snapshot).map { $0.render() }.joined(separator: "\n\n"))
        }
    }
}
