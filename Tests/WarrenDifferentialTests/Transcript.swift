import Foundation
import NIOCore
import WarrenClient

/// What a scenario observed, in a form that compares equal across brokers: server-chosen names
/// and clock values are replaced by markers once their shape has been checked.
struct Transcript: Equatable, Sendable, CustomStringConvertible {
    private(set) var lines: [String] = []

    mutating func record(_ line: String) {
        lines.append(line)
    }

    mutating func record(_ delivery: AMQPDelivery, prefix: String) {
        var line = "\(prefix): \(delivery.bodyString) exchange=\(normalise(delivery.exchange, prefix: prefix))"
        line += " key=\(normalise(delivery.routingKey, prefix: prefix)) redelivered=\(delivery.redelivered)"
        if let expiration = delivery.properties.expiration { line += " expiration=\(expiration)" }
        if let headers = delivery.properties.headers { line += " headers=\(Self.describe(headers))" }
        lines.append(line)
    }

    mutating func record(_ error: AMQPClientError, context: String) {
        if let code = error.replyCode, let text = error.replyText {
            lines.append("\(context): \(code) \(text)")
        } else {
            lines.append("\(context): \(error)")
        }
    }

    /// Scenario names carry a random suffix; transcripts show them without it.
    private let suffix: String

    init(suffix: String) {
        self.suffix = suffix
    }

    func normalise(_ text: String, prefix: String = "") -> String {
        text.replacingOccurrences(of: suffix, with: "")
    }

    static func describe(_ table: FieldTable) -> String {
        "{" + table.entries.map { "\($0.0)=\(describe($0.1))" }.joined(separator: ", ") + "}"
    }

    static func describe(_ value: FieldValue) -> String {
        switch value {
        case .table(let t): return describe(t)
        case .array(let a): return "[" + a.map(describe).joined(separator: ", ") + "]"
        case .timestamp(let seconds):
            // Clocks differ between runs: keep the type, check it is recent.
            let now = UInt64(Date().timeIntervalSince1970)
            return seconds + 120 >= now && seconds <= now + 120 ? "T(now)" : "T(\(seconds))"
        case .string(let s): return "S(\(s))"
        default: return "\(value)"
        }
    }

    var description: String { lines.joined(separator: "\n") }

    /// Only what was observed counts, not the run's random suffix.
    static func == (lhs: Transcript, rhs: Transcript) -> Bool { lhs.lines == rhs.lines }
}

extension Transcript {
    /// Replaces the run's random suffix in every recorded line.
    func normalised() -> Transcript {
        var copy = self
        copy.lines = lines.map { normalise($0) }
        return copy
    }
}

