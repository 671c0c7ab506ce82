import Foundation
import NIOCore
import WarrenWire

/// One message of an export file: where it was published, every basic property, headers with
/// their AMQP types, and the body. docs/export-format.md describes the format.
public struct ExportedMessage: Sendable, Hashable {
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var properties: BasicProperties
    public var body: [UInt8]

    public init(exchange: String = "", routingKey: String = "", redelivered: Bool = false,
                properties: BasicProperties = BasicProperties(), body: [UInt8] = []) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.properties = properties
        self.body = body
    }

    /// The message as one line of JSON, without the newline.
    public func line() throws -> String {
        String(decoding: try ExportCoding.encoder.encode(ExportLine(self)), as: UTF8.self)
    }

    /// Reads one line of an export file; `number` (from 1) goes into the error.
    public static func parse(line: some StringProtocol, number: Int) throws(ExportFormatError) -> ExportedMessage {
        do {
            return try ExportCoding.decoder.decode(ExportLine.self, from: Data(line.utf8)).message
        } catch let error as DecodingError {
            throw ExportFormatError(line: number, reason: ExportCoding.describe(error))
        } catch {
            throw ExportFormatError(line: number, reason: "\(error)")
        }
    }
}

/// A line of an export file that cannot be read.
public struct ExportFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public var description: String { "line \(line): \(reason)" }
}

enum ExportCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()

    /// Deeper nesting of tables and arrays is refused, as AMQP brokers refuse it on the wire.
    static let maximumDepth = 100

    /// A decoding error in one line of words: where, then what.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "" : String(text.drop(while: { $0 == "." })) + ": "
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not a JSON object" }
            // An unknown key is reported at the key itself; the message names it already.
            let at = context.debugDescription.hasPrefix("unknown key") ? context.codingPath.dropLast() : context.codingPath[...]
            return path(Array(at)) + context.debugDescription
        case .keyNotFound(let key, let context):
            return path(context.codingPath) + "missing '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "not a JSON object" }
            return path(context.codingPath) + "expected \(kind(type))"
        case .valueNotFound(let type, let context):
            return path(context.codingPath) + "expected \(kind(type)), got null"
        @unknown default:
            return "\(error)"
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "an array"
        case is [String: Any].Type: return "an object"
        default: return "a number (\(type))"
        }
    }
}

/// Any key: the format refuses keys it does not know, so a misspelt property is an error rather
/// than a property silently dropped.
struct ExportKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == ExportKey {
    func refuseUnknownKeys(_ known: Set<String>) throws {
        if let unknown = allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: self,
                debugDescription: "unknown key '\(unknown.stringValue)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func optional<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        try decodeIfPresent(type, forKey: ExportKey(key))
    }

    func required<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
        try decode(type, forKey: ExportKey(key))
    }

    /// An integer of `T`'s range. Read as 64 bits and narrowed here, so that a value out of range
    /// is an error that says where (Foundation's own loses the path).
    func integer<T: FixedWidthInteger & Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        guard contains(ExportKey(key)), (try? decodeNil(forKey: ExportKey(key))) != true else { return nil }
        if let wide = try? decode(Int64.self, forKey: ExportKey(key)) {
            guard let value = T(exactly: wide) else { throw corrupted(key, "\(wide) is out of range for \(T.self)") }
            return value
        }
        if let wide = try? decode(UInt64.self, forKey: ExportKey(key)) {
            guard let value = T(exactly: wide) else { throw corrupted(key, "\(wide) is out of range for \(T.self)") }
            return value
        }
        return try decode(T.self, forKey: ExportKey(key))
    }

    func requiredInteger<T: FixedWidthInteger & Decodable>(_ type: T.Type, _ key: String) throws -> T {
        guard let value = try integer(type, key) else { return try decode(T.self, forKey: ExportKey(key)) }
        return value
    }

    func corrupted(_ key: String, _ description: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: ExportKey(key), in: self, debugDescription: description)
    }
}

/// The line: `exchange`, `routing_key`, `redelivered`, `properties`, `body`, `body_encoding`.
struct ExportLine: Codable {
    var message: ExportedMessage

    init(_ message: ExportedMessage) { self.message = message }

    static let keys: Set<String> = ["exchange", "routing_key", "redelivered", "properties", "body", "body_encoding"]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ExportKey.self)
        try c.refuseUnknownKeys(Self.keys)
        let body = try c.optional(String.self, "body") ?? ""
        let bytes: [UInt8]
        switch try c.optional(String.self, "body_encoding") ?? "text" {
        case "text": bytes = Array(body.utf8)
        case "base64":
            guard let data = Data(base64Encoded: body) else { throw c.corrupted("body", "not valid base64") }
            bytes = Array(data)
        case let other: throw c.corrupted("body_encoding", "'\(other)' is neither text nor base64")
        }
        message = ExportedMessage(
            exchange: try c.optional(String.self, "exchange") ?? "", routingKey: try c.optional(String.self, "routing_key") ?? "",
            redelivered: try c.optional(Bool.self, "redelivered") ?? false,
            properties: try c.optional(ExportProperties.self, "properties")?.properties ?? BasicProperties(), body: bytes)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ExportKey.self)
        try c.encode(message.exchange, forKey: ExportKey("exchange"))
        try c.encode(message.routingKey, forKey: ExportKey("routing_key"))
        try c.encode(message.redelivered, forKey: ExportKey("redelivered"))
        try c.encode(ExportProperties(message.properties), forKey: ExportKey("properties"))
        if let text = String(validating: message.body, as: UTF8.self) {
            try c.encode(text, forKey: ExportKey("body"))
            try c.encode("text", forKey: ExportKey("body_encoding"))
        } else {
            try c.encode(Data(message.body).base64EncodedString(), forKey: ExportKey("body"))
            try c.encode("base64", forKey: ExportKey("body_encoding"))
        }
    }
}

/// The basic properties under their management API names; absent ones are left out.
struct ExportProperties: Codable {
    var properties: BasicProperties

    init(_ properties: BasicProperties) { self.properties = properties }

    static let keys: Set<String> = [
        "content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id", "reply_to",
        "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id",
    ]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ExportKey.self)
        try c.refuseUnknownKeys(Self.keys)
        var p = BasicProperties(
            contentType: try c.optional(String.self, "content_type"),
            contentEncoding: try c.optional(String.self, "content_encoding"),
            deliveryMode: try c.integer(UInt8.self, "delivery_mode"), priority: try c.integer(UInt8.self, "priority"),
            correlationID: try c.optional(String.self, "correlation_id"), replyTo: try c.optional(String.self, "reply_to"),
            expiration: try c.optional(String.self, "expiration"), messageID: try c.optional(String.self, "message_id"),
            timestamp: try c.integer(UInt64.self, "timestamp"), type: try c.optional(String.self, "type"),
            userID: try c.optional(String.self, "user_id"), appID: try c.optional(String.self, "app_id"),
            clusterID: try c.optional(String.self, "cluster_id"))
        if c.contains(ExportKey("headers")) {
            // The typed form (an array of entries) or, written by hand, a plain object.
            if let entries = try? c.required(ExportTable.self, "headers") {
                p.headers = entries.table
            } else if let object = try? c.required([String: JSON].self, "headers") {
                // At any depth: a nested object becomes a nested table, whose names are short strings too.
                func longName(_ value: JSON) -> String? {
                    switch value {
                    case .object(let members):
                        return members.keys.first(where: { $0.utf8.count > 255 })
                            ?? members.values.lazy.compactMap(longName).first
                    case .array(let items): return items.lazy.compactMap(longName).first
                    default: return nil
                    }
                }
                if let long = longName(.object(object)) {
                    throw c.corrupted("headers", "header name '\(long.prefix(20))…' is longer than 255 bytes")
                }
                p.headers = FieldTable(object.sorted { $0.key < $1.key }.map { ($0.key, MessageView.fieldValue($0.value)) })
            } else {
                p.headers = try c.required(ExportTable.self, "headers").table
            }
        }
        properties = p
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ExportKey.self)
        let p = properties
        func put<T: Encodable>(_ key: String, _ value: T?) throws {
            if let value { try c.encode(value, forKey: ExportKey(key)) }
        }
        try put("content_type", p.contentType)
        try put("content_encoding", p.contentEncoding)
        try put("headers", p.headers.map(ExportTable.init))
        try put("delivery_mode", p.deliveryMode)
        try put("priority", p.priority)
        try put("correlation_id", p.correlationID)
        try put("reply_to", p.replyTo)
        try put("expiration", p.expiration)
        try put("message_id", p.messageID)
        try put("timestamp", p.timestamp)
        try put("type", p.type)
        try put("user_id", p.userID)
        try put("app_id", p.appID)
        try put("cluster_id", p.clusterID)
    }
}

/// A field table as an array of `{"name", "type", "value"}` entries: order and duplicate keys kept.
struct ExportTable: Codable {
    var table: FieldTable

    init(_ table: FieldTable) { self.table = table }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        var entries: [(String, FieldValue)] = []
        while !c.isAtEnd {
            let entry = try c.decode(ExportEntry.self)
            entries.append((entry.name, entry.value.value))
        }
        table = FieldTable(entries)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        for (name, value) in table.entries { try c.encode(ExportEntry(name: name, value: ExportValue(value))) }
    }
}

struct ExportEntry: Codable {
    var name: String
    var value: ExportValue

    init(name: String, value: ExportValue) {
        self.name = name
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ExportKey.self)
        name = try c.required(String.self, "name")
        guard name.utf8.count <= 255 else { throw c.corrupted("name", "a header name holds at most 255 bytes") }
        value = try ExportValue(from: decoder, extraKeys: ["name"])
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ExportKey.self)
        try c.encode(name, forKey: ExportKey("name"))
        try value.encode(to: encoder)
    }
}

/// A field value as `{"type": CODE, ...}` with RabbitMQ's type codes.
struct ExportValue: Codable {
    var value: FieldValue

    init(_ value: FieldValue) { self.value = value }

    init(from decoder: any Decoder) throws {
        try self.init(from: decoder, extraKeys: [])
    }

    init(from decoder: any Decoder, extraKeys: Set<String>) throws {
        let c = try decoder.container(keyedBy: ExportKey.self)
        guard decoder.codingPath.count < ExportCoding.maximumDepth * 2 else {
            throw c.corrupted("type", "tables and arrays nested more than \(ExportCoding.maximumDepth) deep")
        }
        let code = try c.required(String.self, "type")
        func bytes() throws -> [UInt8] {
            guard let data = Data(base64Encoded: try c.required(String.self, "base64")) else {
                throw c.corrupted("base64", "not valid base64")
            }
            return Array(data)
        }
        var known: Set<String> = ["type", "value"]
        switch code {
        case "t": value = .bool(try c.required(Bool.self, "value"))
        case "b": value = .int8(try c.requiredInteger(Int8.self, "value"))
        case "B": value = .uint8(try c.requiredInteger(UInt8.self, "value"))
        case "s": value = .int16(try c.requiredInteger(Int16.self, "value"))
        case "u": value = .uint16(try c.requiredInteger(UInt16.self, "value"))
        case "I": value = .int32(try c.requiredInteger(Int32.self, "value"))
        case "i": value = .uint32(try c.requiredInteger(UInt32.self, "value"))
        case "l", "L": value = .int64(try c.requiredInteger(Int64.self, "value"))
        case "f": value = .float(try c.required(Float.self, "value"))
        case "d": value = .double(try c.required(Double.self, "value"))
        case "D":
            known = ["type", "scale", "value"]
            value = .decimal(scale: try c.requiredInteger(UInt8.self, "scale"), value: try c.requiredInteger(Int32.self, "value"))
        case "S":
            known = ["type", "value", "base64"]
            if c.contains(ExportKey("base64")) { value = .binaryString(try bytes()) } else {
                value = .string(try c.required(String.self, "value"))
            }
        case "x":
            known = ["type", "base64"]
            value = .bytes(try bytes())
        case "A": value = .array(try c.required([ExportValue].self, "value").map(\.value))
        case "T": value = .timestamp(try c.requiredInteger(UInt64.self, "value"))
        case "F": value = .table(try c.required(ExportTable.self, "value").table)
        case "V": known = ["type"]; value = .void
        default:
            throw c.corrupted("type", "unknown field type '\(code)' (known: t b B s u I i l f d D S x A T F V)")
        }
        try c.refuseUnknownKeys(known.union(extraKeys))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ExportKey.self)
        try c.encode(String(UnicodeScalar(value.typeCode)), forKey: ExportKey("type"))
        let key = ExportKey("value")
        switch value {
        case .bool(let v): try c.encode(v, forKey: key)
        case .int8(let v): try c.encode(v, forKey: key)
        case .uint8(let v): try c.encode(v, forKey: key)
        case .int16(let v): try c.encode(v, forKey: key)
        case .uint16(let v): try c.encode(v, forKey: key)
        case .int32(let v): try c.encode(v, forKey: key)
        case .uint32(let v): try c.encode(v, forKey: key)
        case .int64(let v): try c.encode(v, forKey: key)
        case .float(let v): try c.encode(v, forKey: key)
        case .double(let v): try c.encode(v, forKey: key)
        case .decimal(let scale, let v):
            try c.encode(scale, forKey: ExportKey("scale"))
            try c.encode(v, forKey: key)
        case .string(let s): try c.encode(s, forKey: key)
        case .binaryString(let bytes), .bytes(let bytes):
            try c.encode(Data(bytes).base64EncodedString(), forKey: ExportKey("base64"))
        case .array(let values): try c.encode(values.map(ExportValue.init), forKey: key)
        case .timestamp(let v): try c.encode(v, forKey: key)
        case .table(let table): try c.encode(ExportTable(table), forKey: key)
        case .void: break
        }
    }
}
