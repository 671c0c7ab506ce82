import ArgumentParser
import Foundation
import WarrenMonitor

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a queue's messages to a file, one JSON line each (docs/export-format.md).",
        discussion: """
            Peeks by default: messages are fetched with basic.get without ack and put back in order when \
            the channel closes (RabbitMQ and LavinMQ mark them redelivered). With --consume each message is acked \
            only after its line is written and the file synced to disk. A quorum queue with a delivery \
            limit is refused unless --force (or --consume), as for peek.
            """)

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The queue.") var queue: String
    @Option(name: .long, help: ArgumentHelp("The file to write.", valueName: "file")) var to: String
    @Flag(name: .long, help: "Take the messages from the queue.") var consume = false
    @Option(name: .long, help: "At most this many messages looked at.") var limit: Int?
    @Option(name: .long, help: ArgumentHelp("Only messages matching (docs/filters.md; repeatable).", valueName: "expr"))
    var filter: [String] = []
    @Flag(name: .long, help: "Replace the file if it exists.") var overwrite = false
    @Flag(name: .long, help: "Peek even where it has side effects (quorum queue with a delivery limit).")
    var force = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        for expression in filter {
            if case .failure(let error) = ReplayFilter.parseAll(expression) { throw ValidationError("--filter \(error)") }
        }
    }

    func run() async throws {
        try await reportingErrors("export") {
            let filters = filter.flatMap { (try? ReplayFilter.parseAll($0).get()) ?? [] }
            let info = consume ? nil : try await broker.managementSource()?
                .queueDetail(QueueID(vhost: broker.virtualHost, name: queue))
            let options = ExportOptions(consume: consume, limit: limit, force: force || consume, overwrite: overwrite,
                                        filters: filters)
            let report = try await Export.run(amqpURL: broker.amqpURL, queue: queue, to: to, options: options,
                                              queueInfo: info)
            for warning in report.warnings { printError("warning: \(warning)") }
            if json { return try printJSON(report) }
            print("\(consume ? "took" : "exported") \(report.exported) messages of \(queue) to \(to)")
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Publish the messages of an export file, with publisher confirms.",
        discussion: """
            Every line is checked before anything is published. Messages go out with mandatory; the \
            counts say how many the broker confirmed and routed, returned (unroutable) or nacked. \
            exchange:NAME keeps each message's routing key, exchange:NAME:KEY replaces it. Exit status 3 \
            when not every message was routed and confirmed.
            """)

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The export file.") var file: String
    @Option(name: .long, help: ArgumentHelp("queue:NAME | exchange:NAME[:KEY]", valueName: "target")) var to: String
    @Option(name: .long, help: "At most this many messages per second.") var rate: Double?
    @Flag(name: .long, help: "Leave out the user_id property (RabbitMQ refuses another user's).")
    var dropUserID = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func target() throws -> ReplayTarget {
        switch ReplayTarget(parsing: to) {
        case .queue(let name)?: return .queue(name)
        case .exchange(let name, let key)?: return .exchange(name, routingKey: key)
        default: throw ValidationError("--to takes queue:NAME or exchange:NAME[:KEY], got '\(to)'")
        }
    }

    func validate() throws {
        _ = try target()
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        try await reportingErrors("import") {
            let options = ImportOptions(target: try target(), ratePerSecond: rate, dropUserID: dropUserID)
            let report = try await Import.run(amqpURL: broker.amqpURL, file: file, options: options)
            if json {
                try printJSON(report)
            } else {
                print("imported \(file) to \(report.target): \(report.published) of \(report.messages) published, "
                    + "\(report.returned) returned (unroutable), \(report.nacked) nacked")
            }
            if !report.complete { throw ExitCode(ExitStatus.incomplete) }
        }
    }
}
