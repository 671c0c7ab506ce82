import ArgumentParser
import Foundation
import WarrenMonitor

struct PeekCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peek",
        abstract: "Show messages at the head of a queue and put them back in order.",
        discussion: """
            Messages are fetched with basic.get without ack, then the channel is closed so they go back \
            where they were; RabbitMQ and LavinMQ mark them redelivered. Warren's embedded broker, given its management \
            API, is peeked without side effects. A quorum queue with a delivery limit is refused unless \
            --force: each peek counts as a delivery there.
            """)

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The queue.") var queue: String
    @Option(name: .long, help: "How many messages.") var count = 5
    @Flag(name: .long, help: "Peek even where it has side effects (quorum queue with a delivery limit).")
    var force = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        try await reportingErrors("peek") {
            let management = try broker.managementSource()
            let info = try await management?.queueDetail(QueueID(vhost: broker.virtualHost, name: queue))
            let result = try await Peek.run(amqpURL: broker.amqpURL, queue: queue, count: count, queueInfo: info,
                                            force: force, management: management)
            for warning in result.warnings { printError("warning: \(warning)") }
            if json { return try printJSON(result) }
            if result.messages.isEmpty { print("\(queue) is empty") }
            for m in result.messages {
                print("--- message \(m.index)  exchange '\(m.exchange)'  routing key '\(m.routingKey)'"
                    + (m.redelivered ? "  (redelivered)" : ""))
                for (key, value) in m.properties.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value.text)") }
                if let headers = m.headers?.object {
                    for (key, value) in headers.sorted(by: { $0.key < $1.key }) where key != "x-death" {
                        print("  header \(key): \(value.text)")
                    }
                }
                for death in m.deadLetter.deaths {
                    print("  x-death: \(death.reason) in '\(death.queue)' ×\(death.count), published to "
                        + "'\(death.exchange)' with \(death.routingKeys)")
                }
                print("  body (\(m.bodyBytes) bytes, \(m.bodyEncoding.rawValue)\(m.bodyTruncated ? ", truncated" : "")):")
                print(m.body.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
                    .joined(separator: "\n"))
            }
        }
    }
}

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a dead-letter queue's messages to where they came from.",
        discussion: """
            Each message is published with confirms and mandatory, and removed from the DLQ only after the \
            broker confirmed it and did not return it. Targets: origin (the queue it was first dead-lettered \
            from, the default), original-exchange (its first exchange and routing keys), queue:NAME, \
            exchange:NAME or exchange:NAME:KEY. Filters (docs/filters.md): reason=R, queue=Q, age>10m, age<1h, \
            header.NAME=VALUE, property.NAME=VALUE, body~TEXT, body.PATH=VALUE, deaths<=N, ! negates. With the management API the plan checks each target first: gone, full (x-max-length and \
            its overflow), expiring with no consumer, dead-lettering straight back into this DLQ (a loop), and \
            messages that died many times; --dry-run prints these warnings, and a replay whose loop is certain \
            is refused (exit status 2) unless --force. A dry run of more than 10,000 messages samples the first \
            10,000 and says so. Exit status 3 when messages were left in the DLQ (returned, nacked or skipped).
            """)

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The dead-letter queue.") var dlq: String
    @Option(name: .long, help: ArgumentHelp("origin | original-exchange | queue:NAME | exchange:NAME[:KEY]",
                                            valueName: "target"))
    var to: String?
    @Option(name: .long, help: "Same as --to queue:NAME.") var toQueue: String?
    @Option(name: .long, help: ArgumentHelp("Same as --to exchange:NAME[:KEY].", valueName: "name[:key]"))
    var toExchange: String?
    @Flag(name: .long, help: "Same as --to original-exchange.") var originalExchange = false
    @Option(name: .long, help: "At most this many messages.") var limit: Int?
    @Option(name: .long, help: "Messages taken and not yet settled at a time (the consumer's prefetch).")
    var window = ReplayOptions().window
    @Option(name: .long, help: "At most this many messages per second.") var rate: Double?
    @Option(name: .long, help: ArgumentHelp("Only messages matching (repeatable).", valueName: "expr"))
    var filter: [String] = []
    @Option(name: .long, help: "Keep in the DLQ the messages that died more than N times (summed x-death counts).")
    var maxDeaths: Int?
    @Flag(name: .long, help: "Show the plan (counts per target, warnings); move nothing.") var dryRun = false
    @Flag(name: .long, help: "Replay even when the plan finds a certain loop.") var force = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func target() throws -> ReplayTarget {
        let given = [to, toQueue.map { "queue:\($0)" }, toExchange.map { "exchange:\($0)" },
                     originalExchange ? "original-exchange" : nil].compactMap { $0 }
        guard given.count <= 1 else { throw ValidationError("give one of --to, --to-queue, --to-exchange, --original-exchange") }
        guard let text = given.first else { return .origin }
        guard let target = ReplayTarget(parsing: text) else {
            throw ValidationError("--to takes origin, original-exchange, queue:NAME or exchange:NAME[:KEY], got '\(text)'")
        }
        return target
    }

    func validate() throws {
        _ = try target()
        for expression in filter {
            if case .failure(let error) = ReplayFilter.parseAll(expression) { throw ValidationError("--filter \(error)") }
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if window < 1 || window > 30_000 { throw ValidationError("--window takes 1 to 30000") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let maxDeaths, maxDeaths < 0 { throw ValidationError("--max-deaths must be 0 or more") }
    }

    func run() async throws {
        try await reportingErrors("replay") {
            var filters = filter.flatMap { (try? ReplayFilter.parseAll($0).get()) ?? [] }
            if let maxDeaths { filters.append(.maxDeaths(maxDeaths)) }
            let options = ReplayOptions(target: try target(), filters: filters, dryRun: dryRun, ratePerSecond: rate,
                                        limit: limit, window: window)
            let queue = QueueID(vhost: broker.virtualHost, name: dlq)
            let management = try broker.managementSource()
            var planWarnings: [ReplayWarning] = []
            if !dryRun, let management {
                // The plan first (a sampled dry run), so that a certain loop is refused before anything moves.
                var planOptions = options
                planOptions.dryRun = true
                let plan = try await Replay.run(amqpURL: broker.amqpURL, queue: dlq, options: planOptions)
                planWarnings = try await ReplayPlanCheck.warnings(for: plan, dlq: queue, management: management)
                for warning in planWarnings { printError("plan: \(warning)") }
                if !force, let loop = planWarnings.first(where: { $0.kind == .loop && $0.certain }) {
                    throw MonitorError.needsForce("refusing to replay '\(dlq)': \(loop.text); pass --force to replay anyway")
                }
            }
            let quiet = json
            var report = try await Replay.run(amqpURL: broker.amqpURL, queue: dlq, options: options) { p in
                if !quiet {
                    printError("replay: \(p.moved) moved, \(p.returned) returned, \(p.failed) failed, "
                        + "\(p.skipped) skipped, \(p.remaining) remaining, \(String(format: "%.0f", p.rate))/s")
                }
            }
            if dryRun {
                if let management {
                    report.planWarnings = try await ReplayPlanCheck.warnings(for: report, dlq: queue, management: management)
                } else {
                    report.warnings.append("no management API: the plan cannot check its targets (give --management)")
                }
            } else {
                report.planWarnings = planWarnings
            }
            for warning in report.warnings { printError("warning: \(warning)") }
            if json {
                try printJSON(report)
            } else {
                let p = report.progress
                if dryRun {
                    for warning in report.planWarnings { print("plan: \(warning)") }
                }
                print(dryRun ? "dry run of \(dlq): \(p.seen) messages looked at"
                    + (report.sampled ? " (sampled \(p.seen) of \(report.queueLength); counts are of the sample)" : "") :
                    "replayed \(dlq): \(p.moved) moved, \(p.returned) returned, \(p.failed) failed, \(p.skipped) skipped "
                    + "(replay id \(report.replayID), stopped: \(report.stop.explanation))")
                var table = TextTable(headers: [dryRun ? "WOULD GO TO" : "WENT TO", "MESSAGES"], numeric: [1])
                for (target, count) in p.perTarget.sorted(by: { $0.key < $1.key }) {
                    table.rows.append([target, String(count)])
                }
                for (reason, count) in p.skipReasons.sorted(by: { $0.key < $1.key }) {
                    table.rows.append(["left in DLQ: \(reason)", String(count)])
                }
                if !table.rows.isEmpty { print(table.render()) }
            }
            if !dryRun && !report.complete { throw ExitCode(ExitStatus.incomplete) }
        }
    }
}

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Remove every ready message from a queue.")

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The queue.") var queue: String
    @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() async throws {
        try await reportingErrors("purge") {
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw MonitorError.needsForce("refusing to purge '\(queue)' without --yes (no terminal to ask)")
                }
                FileHandle.standardError.write(Data("purge every ready message of '\(queue)'? [y/N] ".utf8))
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    throw MonitorError.needsForce("purge of '\(queue)' not confirmed")
                }
            }
            let count = try await QueueActions.purge(amqpURL: broker.amqpURL, queue: queue)
            if json {
                try printJSON(["queue": JSON.string(queue), "purged": .number(Double(count))])
            } else {
                print("purged \(count) messages from \(queue)")
            }
        }
    }
}

struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move a queue's messages into another queue (confirm, then ack: nothing is lost).")

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The queue to take messages from.") var source: String
    @Argument(help: "The queue to put them in.") var destination: String
    @Option(name: .long, help: "At most this many messages.") var limit: Int?
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() async throws {
        try await reportingErrors("move") {
            let report = try await QueueActions.move(amqpURL: broker.amqpURL, queue: source, to: destination,
                                                     limit: limit)
            if json { try printJSON(report) } else {
                let p = report.progress
                print("moved \(p.moved) messages from \(source) to \(destination); \(p.returned + p.failed) left")
            }
            if !report.complete { throw ExitCode(ExitStatus.incomplete) }
        }
    }
}
