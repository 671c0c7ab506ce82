import Foundation
import WarrenWire

/// One entry of a message's `x-death` header: a queue it died in, why, and how often.
public struct DeathRecord: Sendable, Hashable, Codable {
    public var queue: String
    public var reason: String
    public var count: Int
    /// The exchange the message had been published to ("" is the default exchange).
    public var exchange: String
    /// The routing keys it had been published with (routing key and CC/BCC).
    public var routingKeys: [String]
    public var time: Date?
    public var originalExpiration: String?

    public init(queue: String, reason: String, count: Int = 1, exchange: String = "", routingKeys: [String] = [],
                time: Date? = nil) {
        self.queue = queue
        self.reason = reason
        self.count = count
        self.exchange = exchange
        self.routingKeys = routingKeys
        self.time = time
    }

    init?(_ fields: FieldTable) {
        // One pass over the entries: each lookup in a table read off the wire decodes it again.
        let table = fields.firstValues
        guard let queue = table["queue"]?.stringValue, let reason = table["reason"]?.stringValue else { return nil }
        self.queue = queue
        self.reason = reason
        count = Int(table["count"]?.int64Value ?? 1)
        exchange = table["exchange"]?.stringValue ?? ""
        routingKeys = (table["routing-keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        if case .timestamp(let seconds) = table["time"] {
            time = Date(timeIntervalSince1970: TimeInterval(seconds))
        } else if let seconds = table["time"]?.int64Value {
            time = Date(timeIntervalSince1970: TimeInterval(seconds))
        }
        originalExpiration = table["original-expiration"]?.stringValue
    }
}

/// What a message's headers tell about its dead-lettering.
public struct DeadLetterHistory: Sendable, Hashable, Codable {
    /// Newest first, as RabbitMQ writes `x-death`.
    public var deaths: [DeathRecord]
    public var firstDeathQueue: String?
    public var firstDeathReason: String?
    public var firstDeathExchange: String?

    public init(headers: FieldTable?) {
        self.init(values: headers?.firstValues ?? [:])
    }

    /// From headers already looked up once (``FieldTable/firstValues``).
    init(values: [String: FieldValue]) {
        deaths = (values["x-death"]?.arrayValue ?? []).compactMap { $0.tableValue.flatMap(DeathRecord.init) }
        firstDeathQueue = values["x-first-death-queue"]?.stringValue
        firstDeathReason = values["x-first-death-reason"]?.stringValue
        firstDeathExchange = values["x-first-death-exchange"]?.stringValue
    }

    /// How many times the message died, over every queue (the sum of the `x-death` counts).
    public var totalDeaths: Int { deaths.reduce(0) { $0 + $1.count } }

    /// The death in the queue the message was first published into: named by
    /// `x-first-death-queue`, else the oldest `x-death` entry.
    public var origin: DeathRecord? {
        if let queue = firstDeathQueue, let record = deaths.last(where: { $0.queue == queue }) { return record }
        return deaths.last
    }

    /// The reason it was dead-lettered the first time.
    public var reason: String? { firstDeathReason ?? origin?.reason }
}

extension FieldValue {
    /// The value as JSON, for output. Byte strings become hex; timestamps seconds.
    public var json: JSON {
        switch self {
        case .bool(let b): return .bool(b)
        case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64: return .number(Double(int64Value ?? 0))
        case .float(let f): return .number(Double(f))
        case .double(let d): return .number(d)
        case .decimal(let scale, let value): return .number(Double(value) / pow(10, Double(scale)))
        case .string(let s): return .string(s)
        case .binaryString(let bytes), .bytes(let bytes): return .string(bytes.map { String(format: "%02x", $0) }.joined())
        case .array(let values): return .array(values.map(\.json))
        case .timestamp(let seconds): return .number(Double(seconds))
        case .table(let table): return table.json
        case .void: return .null
        }
    }
}

extension FieldTable {
    public var json: JSON {
        var object: [String: JSON] = [:]
        for (key, value) in entries where object[key] == nil { object[key] = value.json }
        return .object(object)
    }
}
