import Foundation
import Histogram

/// What happened in one second of a run (counts in that second).
public struct PerfSecond: Sendable, Codable, Equatable {
    public var second: Int
    public var sent: Int
    public var confirmed: Int
    public var nacked: Int
    public var received: Int
    /// Latency percentiles of the messages received in that second, in microseconds.
    public var latencyP50: UInt64?
    public var latencyP99: UInt64?
}

/// Latency percentiles in microseconds, from publish to delivery.
public struct PerfLatency: Sendable, Codable, Equatable {
    public var min: UInt64
    public var p50: UInt64
    public var p75: UInt64
    public var p95: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    init?(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else { return nil }
        min = histogram.min
        p50 = histogram.valueAtPercentile(50)
        p75 = histogram.valueAtPercentile(75)
        p95 = histogram.valueAtPercentile(95)
        p99 = histogram.valueAtPercentile(99)
        p999 = histogram.valueAtPercentile(99.9)
        max = histogram.max
    }
}

/// The result of a run: totals, rates over the whole run and the latency distribution.
public struct PerfSummary: Sendable, Codable, Equatable {
    public var configuration: PerfConfiguration
    public var broker: String
    public var elapsedSeconds: Double
    public var sent: Int
    public var confirmed: Int
    public var nacked: Int
    public var received: Int
    public var publishRate: Double
    public var consumeRate: Double
    public var latency: PerfLatency?
    public var seconds: [PerfSecond]
}

extension PerfSecond {
    /// One line of the live table `warren perf` prints.
    public var line: String {
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let latency: String = latencyP50.map { "\($0) / \(latencyP99 ?? $0)" } ?? "-"
        var line = pad("\(second)s", 5)
        line += pad("\(sent)", 12)
        line += pad("\(confirmed)", 12)
        line += pad("\(received)", 12)
        return line + pad(latency, 22)
    }

    public static let header = "   t     sent/s confirmed/s  received/s   latency p50/p99 µs"
}

extension PerfSummary {
    /// The closing summary, several lines of text.
    public var text: String {
        let c = configuration
        var setup = "broker \(broker), \(c.producers) producer(s), \(c.consumers) consumer(s), \(c.queues) queue(s)"
        setup += ", \(c.exchangeKind.rawValue) exchange, \(c.bodySize) B bodies"
        if c.persistent { setup += ", persistent" }
        if c.confirmWindow > 0 { setup += ", confirm window \(c.confirmWindow)" }
        var lines = [
            setup,
            String(format: "elapsed %.2f s", elapsedSeconds),
            String(format: "sent %d (%.0f msg/s), confirmed %d, nacked %d", sent, publishRate, confirmed, nacked),
            String(format: "received %d (%.0f msg/s)", received, consumeRate),
        ]
        if let l = latency {
            lines.append("latency µs: min \(l.min), p50 \(l.p50), p75 \(l.p75), p95 \(l.p95), p99 \(l.p99), "
                + "p99.9 \(l.p999), max \(l.max)")
        }
        return lines.joined(separator: "\n")
    }
}
