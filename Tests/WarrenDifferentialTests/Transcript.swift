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

    /// A delivery or get-ok: body, routing, redelivered flag and every property that is set
    /// (headers in wire order, so key order counts).
    mutating func record(_ delivery: AMQPDelivery, prefix: String) {
        var line = "\(prefix): \(delivery.bodyString) exchange=\(normalise(delivery.exchange, prefix: prefix))"
        line += " key=\(normalise(delivery.routingKey, prefix: prefix)) redelivered=\(delivery.redelivered)"
        line += Self.describe(delivery.properties)
        lines.append(line)
    }

    /// A basic.get answer: the message and the get-ok message count, or "empty".
    mutating func record(_ got: AMQPGetResult?, prefix: String) {
        guard let got else {
            lines.append("\(prefix): get-empty")
            return
        }
        record(got.message, prefix: "\(prefix) [left \(got.messageCount)]")
    }

    /// A refusal: whether the channel or the whole connection was closed, the code and the text.
    mutating func record(_ error: AMQPClientError, context: String) {
        switch error {
        case .channelClosedByServer(let reason):
            lines.append("\(context): channel.close \(reason.replyCode) \(reason.replyText) [\(Self.method(reason))]")
        case .connectionClosedByServer(let reason):
            lines.append("\(context): connection.close \(reason.replyCode) \(reason.replyText) [\(Self.method(reason))]")
        default:
            if let code = error.replyCode, let text = error.replyText {
                lines.append("\(context): \(code) \(text)")
            } else {
                lines.append("\(context): \(error)")
            }
        }
    }

    /// Runs `body`; records "ok <what it returned>" or the broker's refusal.
    mutating func attempt(_ label: String, _ body: () async throws -> String) async {
        do {
            let result = try await body()
            lines.append("\(label): ok\(result.isEmpty ? "" : " " + result)")
        } catch let error as AMQPClientError {
            record(error, context: label)
        } catch {
            lines.append("\(label): unexpected \(error)")
        }
    }

    static func method(_ reason: AMQPCloseReason) -> String {
        AMQPMethod.name(classID: reason.classID, methodID: reason.methodID) ?? "\(reason.classID).\(reason.methodID)"
    }

    /// Scenario names carry a random suffix; transcripts show them without it.
    private let suffix: String

    init(suffix: String) {
        self.suffix = suffix
    }

    func normalise(_ text: String, prefix: String = "") -> String {
        Self.markServerNames(text.replacingOccurrences(of: suffix, with: ""))
    }

    /// `amq.gen-` and `amq.ctag-` names are the broker's choice: they become a marker when the
    /// part after the prefix is 22 base64url characters, and stay as they are otherwise.
    static func markServerNames(_ text: String) -> String {
        var result = text
        for prefix in ["amq.gen-", "amq.ctag-"] {
            let pattern = NSRegularExpression.escapedPattern(for: prefix) + "([A-Za-z0-9_-]+)"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(result.startIndex..., in: result)
            var rebuilt = ""
            var cursor = result.startIndex
            for match in regex.matches(in: result, range: range) {
                guard let whole = Range(match.range, in: result), let tail = Range(match.range(at: 1), in: result)
                else { continue }
                rebuilt += result[cursor..<whole.lowerBound]
                rebuilt += result[tail].count == 22 ? "\(prefix)<22>" : String(result[whole])
                cursor = whole.upperBound
            }
            rebuilt += result[cursor...]
            result = rebuilt
        }
        return result
    }

    static func describe(_ table: FieldTable) -> String {
        "{" + table.entries.map { "\($0.0)=\(describe($0.1))" }.joined(separator: ", ") + "}"
    }

    static func describe(_ value: FieldValue) -> String {
        switch value {
        case .table(let t): return describe(t)
        case .array(let a): return "[" + a.map(describe).joined(separator: ", ") + "]"
        case .timestamp(let seconds):
            // Clocks differ between runs: keep the type, check it is within a minute of now.
            let now = UInt64(Date().timeIntervalSince1970)
            return seconds + 60 >= now && seconds <= now + 60 ? "T(now)" : "T(\(seconds))"
        case .string(let s): return "S(\(s))"
        default: return "\(value)"
        }
    }

    /// Every property that is set, in the order of the property flags.
    static func describe(_ p: BasicProperties) -> String {
        var parts: [String] = []
        if let v = p.contentType { parts.append("content-type=\(v)") }
        if let v = p.contentEncoding { parts.append("content-encoding=\(v)") }
        if let v = p.headers { parts.append("headers=\(describe(v))") }
        if let v = p.deliveryMode { parts.append("delivery-mode=\(v)") }
        if let v = p.priority { parts.append("priority=\(v)") }
        if let v = p.correlationID { parts.append("correlation-id=\(v)") }
        if let v = p.replyTo { parts.append("reply-to=\(v)") }
        if let v = p.expiration { parts.append("expiration=\(v)") }
        if let v = p.messageID { parts.append("message-id=\(v)") }
        if let v = p.timestamp { parts.append("timestamp=\(v)") }
        if let v = p.type { parts.append("type=\(v)") }
        if let v = p.userID { parts.append("user-id=\(v)") }
        if let v = p.appID { parts.append("app-id=\(v)") }
        if let v = p.clusterID { parts.append("cluster-id=\(v)") }
        return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }

    var description: String { lines.joined(separator: "\n") }

    /// Only what was observed counts, not the run's random suffix.
    static func == (lhs: Transcript, rhs: Transcript) -> Bool { lhs.lines == rhs.lines }
}

extension Transcript {
    /// Replaces the run's random suffix (and marks server-chosen names) in every recorded line.
    func normalised() -> Transcript {
        var copy = self
        copy.lines = lines.map { normalise($0) }
        return copy
    }
}
