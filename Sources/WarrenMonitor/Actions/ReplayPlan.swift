import Foundation
import NIOCore
import WarrenWire

/// Where replayed messages go.
public enum ReplayTarget: Sendable, Hashable, CustomStringConvertible {
    /// Each message back into the queue it was first dead-lettered from (`x-death`), through the
    /// default exchange.
    case origin
    /// Each message to the exchange it was first published to, with its original routing keys.
    case originalExchange
    /// Every message into this queue.
    case queue(String)
    /// Every message to this exchange, with this routing key or else its original keys.
    case exchange(String, routingKey: String?)

    /// Parses `origin`, `original-exchange`, `queue:NAME`, `exchange:NAME` or `exchange:NAME:KEY`.
    public init?(parsing text: String) {
        switch text {
        case "origin": self = .origin
        case "original-exchange", "exchange": self = .originalExchange
        default:
            if text.hasPrefix("queue:"), text.count > 6 {
                self = .queue(String(text.dropFirst(6)))
            } else if text.hasPrefix("exchange:") {
                let rest = text.dropFirst(9)
                let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                self = .exchange(String(parts[0]), routingKey: parts.count > 1 ? String(parts[1]) : nil)
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .origin: return "origin"
        case .originalExchange: return "original-exchange"
        case .queue(let name): return "queue:\(name)"
        case .exchange(let name, let key): return "exchange:\(name)" + (key.map { ":\($0)" } ?? "")
        }
    }
}

/// What to do with one dead letter.
public enum ReplayDecision: Sendable, Hashable {
    /// Publish to `exchange` with `routingKey` and these properties (the original ones plus the
    /// replay stamp); `label` names the target for counts.
    case publish(exchange: String, routingKey: String, properties: BasicProperties, label: String)
    /// Leave it in the DLQ.
    case skip(String)
    /// This replay already published this message once and it came back: stop here.
    case ownMessage
}

/// Pure planning of a replay, message by message (no I/O).
public struct ReplayPlanner: Sendable {
    /// The header stamped on every replayed message: `<replay id>/<sequence>`.
    public static let stampHeader = "x-warren-replay-id"

    public var replayID: String
    public var target: ReplayTarget
    public var filters: [ReplayFilter]

    public init(replayID: String, target: ReplayTarget, filters: [ReplayFilter] = []) {
        self.replayID = replayID
        self.target = target
        self.filters = filters
    }

    /// The headers every decision reads; x-death only when a filter or the target needs it.
    static let keysReadFirst: Set<String> = [stampHeader, "x-first-death-queue"]

    /// Decides for one message; `sequence` numbers the stamp so a `basic.return` can be matched
    /// to the delivery it came from.
    public func decide(properties: BasicProperties, body: ByteBuffer? = nil, sequence: Int, now: Date = Date())
        -> ReplayDecision
    {
        let headers = properties.headers
        let values = headers?.values(forKeys: Self.keysReadFirst) ?? [:]
        let earlierStamp = values[Self.stampHeader]?.stringValue
        if let earlierStamp, earlierStamp.hasPrefix(replayID + "/") {
            return .ownMessage
        }
        // Reading x-death is most of the work per message; a replay to the origin without filters
        // needs only x-first-death-queue.
        var parsed: DeadLetterHistory?
        func history() -> DeadLetterHistory {
            if let parsed { return parsed }
            let history = DeadLetterHistory(headers: headers)
            parsed = history
            return history
        }
        if !filters.isEmpty {
            let facts = MessageFacts(history: history(), properties: properties,
                                     body: filters.contains(where: \.readsBody) ? body : nil)
            for filter in filters where !filter.matches(facts, now: now) {
                return .skip(filter.skipReason)
            }
        }
        var stamped = properties
        var newHeaders = headers ?? FieldTable()
        let stamp = FieldValue.string("\(replayID)/\(sequence)")
        if earlierStamp == nil, let appended = try? newHeaders.appending(Self.stampHeader, stamp) {
            newHeaders = appended
        } else if let replaced = try? newHeaders.replacing(Self.stampHeader, with: stamp) {
            // A stamp of an earlier replay is replaced, so the only value is this one's.
            newHeaders = replaced
        } else {
            newHeaders[Self.stampHeader] = stamp
        }
        stamped.headers = newHeaders

        switch target {
        case .queue(let name):
            return .publish(exchange: "", routingKey: name, properties: stamped, label: "queue \(name)")
        case .exchange(let name, let key?):
            return .publish(exchange: name, routingKey: key, properties: stamped, label: "exchange \(name) key \(key)")
        case .origin:
            let queue: String
            if let first = values["x-first-death-queue"]?.stringValue {
                queue = first
            } else if let origin = history().origin {
                queue = origin.queue
            } else {
                return .skip("no x-death header: origin unknown")
            }
            return .publish(exchange: "", routingKey: queue, properties: stamped, label: "queue \(queue)")
        case .originalExchange, .exchange(_, routingKey: nil):
            guard let origin = history().origin, let first = origin.routingKeys.first else {
                return .skip("no x-death header: original routing keys unknown")
            }
            let exchange: String
            if case .exchange(let name, _) = target { exchange = name } else { exchange = origin.exchange }
            // Further original keys (CC) travel as a CC header, as they were first published.
            if origin.routingKeys.count > 1 {
                newHeaders["CC"] = .array(origin.routingKeys.dropFirst().map { .string($0) })
                stamped.headers = newHeaders
            }
            let label = exchange.isEmpty ? "queue \(first)" : "exchange \(exchange) key \(first)"
            return .publish(exchange: exchange, routingKey: first, properties: stamped, label: label)
        }
    }
}

/// The sequence number in a replay stamp of `replayID`, if the header is one.
func replaySequence(_ headers: FieldTable?, replayID: String) -> Int? {
    guard let stamp = headers?[ReplayPlanner.stampHeader]?.stringValue, stamp.hasPrefix(replayID + "/") else {
        return nil
    }
    return Int(stamp.dropFirst(replayID.count + 1))
}
