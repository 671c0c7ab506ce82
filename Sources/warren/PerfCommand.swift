import ArgumentParser
import Foundation
import WarrenPerf

/// `warren perf`: a load generator for any AMQP 0-9-1 broker.
struct PerfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Put load on an AMQP 0-9-1 broker and report throughput and latency.",
        discussion: """
            Declares an exchange and queues named warren-perf-*, starts the consumers, then the \
            producers, prints publish/consume rates and latency percentiles every second and a \
            summary at the end, and deletes what it declared. Latency is from publish to delivery, \
            measured in this process. Example:

              warren perf --url amqp://guest:guest@localhost:5672/ --producers 2 --consumers 2 --size 1024 --time 30
            """
    )

    @Option(help: "Broker URL.")
    var url: String = ProcessInfo.processInfo.environment["WARREN_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"
    @Option(help: "Producer connections.") var producers = 1
    @Option(help: "Consumer connections.") var consumers = 1
    @Option(help: "Queues; producers and consumers are spread over them.") var queues = 1
    @Option(help: "Exchange type: direct, fanout, topic or headers.") var exchangeType = "direct"
    @Option(help: "Extra bindings that never match (a large routing table).") var extraBindings = 0
    @Option(help: "Body size in bytes (at least 8).") var size = 64
    @Flag(help: "Publish persistent messages to durable queues.") var persistent = false
    @Option(help: "Publisher confirms with this many outstanding per producer (0: no confirms).") var confirm = 0
    @Option(help: "Consumer prefetch (basic.qos); 0 for unlimited.") var prefetch = 1000
    @Option(help: "Ack every n-th delivery with multiple=true (1: each; 0: no-ack consumers).") var multiAck = 1
    @Option(help: "Messages per second per producer (0: as fast as possible).") var rate: Double = 0
    @Option(help: "Seconds to run.") var time: Double?
    @Option(help: "Messages per producer; the run ends when all are consumed.") var count: Int?
    @Flag(help: "Print the summary as JSON (no live table).") var json = false

    func makeConfiguration() throws -> PerfConfiguration {
        guard let kind = PerfConfiguration.ExchangeKind(rawValue: exchangeType) else {
            throw ValidationError("--exchange-type must be direct, fanout, topic or headers, not '\(exchangeType)'")
        }
        let configuration = PerfConfiguration(
            url: url, producers: producers, consumers: consumers, queues: queues, exchangeKind: kind,
            extraBindings: extraBindings, bodySize: size, persistent: persistent, confirmWindow: confirm,
            prefetch: prefetch, multiAck: multiAck, rate: rate, duration: time ?? (count == nil ? 10 : 0),
            messageCount: count ?? 0)
        if let problem = configuration.validationErrors().first { throw ValidationError(problem) }
        return configuration
    }

    func validate() throws {
        _ = try makeConfiguration()
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        let json = self.json
        if !json { print(PerfSecond.header) }
        do {
            let summary = try await PerfRun.run(configuration) { second in
                if !json { print(second.line) }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text)
            }
        } catch {
            FileHandle.standardError.write(Data("warren perf: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
