import Foundation

/// A JSON value as the management API sends it.
///
/// Resources are read through this rather than through synthesized `Decodable` so that a key that
/// one RabbitMQ version adds, drops or sends with another type (`"undefined"` for a number, `[]`
/// for an empty object) never fails a whole poll: a reader asks for what it wants and gets `nil`.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses a JSON document (see ``JSONParser``).
    public static func parse(_ data: Data) throws -> JSON {
        try JSONParser.parse(data)
    }

    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// Follows a path of object keys, e.g. `json[path: "message_stats", "publish_details", "rate"]`.
    public subscript(path keys: String...) -> JSON? {
        var value: JSON? = self
        for key in keys { value = value?[key] }
        return value
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Numbers as `Int` (rounded toward zero); numeric strings too, as some plugins send them.
    public var int: Int? {
        switch self {
        case .number(let d) where d.isFinite && abs(d) < 9.0e18: return Int(d)
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .number(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An object's members. An empty array counts as an empty object: RabbitMQ's JSON encoder
    /// writes an empty proplist (e.g. message properties) as `[]`.
    public var object: [String: JSON]? {
        switch self {
        case .object(let o): return o
        case .array(let a) where a.isEmpty: return [:]
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }

    /// A short text form for tables and messages (strings unquoted).
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d):
            return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return s
        case .array, .object:
            let data = (try? JSONEncoder.sorted.encode(self)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSON].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let d):
            if d.rounded() == d && abs(d) < 9.0e15 { try container.encode(Int64(d)) } else { try container.encode(d) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONEncoder {
    /// Stable output: sorted keys, so the same value always prints the same way.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
