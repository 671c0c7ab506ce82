import Foundation
import WarrenWire

// Field tables and message properties in the JSON forms RabbitMQ's management API uses.
extension JSON {
    init(_ table: FieldTable) {
        self = .object(table.entries.map { ($0.0, JSON($0.1)) })
    }

    init(_ value: FieldValue) {
        switch value {
        case .bool(let b): self = .bool(b)
        case .int8(let n): self = .int(Int64(n))
        case .uint8(let n): self = .int(Int64(n))
        case .int16(let n): self = .int(Int64(n))
        case .uint16(let n): self = .int(Int64(n))
        case .int32(let n): self = .int(Int64(n))
        case .uint32(let n): self = .int(Int64(n))
        case .int64(let n): self = .int(n)
        case .float(let f): self = .double(Double(f))
        case .double(let d): self = .double(d)
        case .decimal(let scale, let value): self = .double(Double(value) / pow(10, Double(scale)))
        case .string(let s): self = .string(s)
        case .binaryString(let bytes), .bytes(let bytes): self = .string(String(decoding: bytes, as: UTF8.self))
        case .array(let items): self = .array(items.map(JSON.init))
        case .timestamp(let t): self = .int(Int64(clamping: t))
        case .table(let table): self = JSON(table)
        case .void: self = .null
        }
    }

    /// Arguments and headers from a request body: integers become longs, as RabbitMQ reads them.
    var fieldTable: FieldTable? {
        guard case .object(let pairs) = self else { return nil }
        return FieldTable(pairs.map { ($0.0, $0.1.fieldValue) })
    }

    var fieldValue: FieldValue {
        switch self {
        case .null: return .void
        case .bool(let b): return .bool(b)
        case .int(let n): return .int64(n)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(\.fieldValue))
        case .object: return .table(fieldTable ?? FieldTable())
        }
    }

    /// Message properties as the get endpoint shows them: an empty list when there are none.
    init(_ properties: BasicProperties) {
        var pairs: [(String, JSON)] = []
        func add(_ key: String, _ value: JSON?) { if let value { pairs.append((key, value)) } }
        add("content_type", properties.contentType.map(JSON.string))
        add("content_encoding", properties.contentEncoding.map(JSON.string))
        add("priority", properties.priority.map { .int(Int64($0)) })
        add("correlation_id", properties.correlationID.map(JSON.string))
        add("reply_to", properties.replyTo.map(JSON.string))
        add("expiration", properties.expiration.map(JSON.string))
        add("message_id", properties.messageID.map(JSON.string))
        add("timestamp", properties.timestamp.map { .int(Int64(clamping: $0)) })
        add("type", properties.type.map(JSON.string))
        add("user_id", properties.userID.map(JSON.string))
        add("app_id", properties.appID.map(JSON.string))
        add("cluster_id", properties.clusterID.map(JSON.string))
        add("delivery_mode", properties.deliveryMode.map { .int(Int64($0)) })
        add("headers", properties.headers.map(JSON.init))
        self = pairs.isEmpty ? .array([]) : .object(pairs)
    }

    /// Message properties from a publish body.
    func basicProperties() throws(RequestError) -> BasicProperties {
        guard case .object = self else {
            if case .array(let items) = self, items.isEmpty { return BasicProperties() }
            throw RequestError.badRequest("properties must be an object")
        }
        func string(_ key: String) -> String? { self[key]?.stringValue }
        func small(_ key: String) throws(RequestError) -> UInt8? {
            guard let value = self[key] else { return nil }
            guard let n = value.intValue, (0...255).contains(n) else {
                throw RequestError.badRequest("\(key) must be an integer from 0 to 255")
            }
            return UInt8(n)
        }
        var headers: FieldTable?
        if let value = self["headers"] {
            guard let table = value.fieldTable else { throw RequestError.badRequest("headers must be an object") }
            headers = table
        }
        return BasicProperties(
            contentType: string("content_type"), contentEncoding: string("content_encoding"), headers: headers,
            deliveryMode: try small("delivery_mode"), priority: try small("priority"),
            correlationID: string("correlation_id"), replyTo: string("reply_to"), expiration: string("expiration"),
            messageID: string("message_id"), timestamp: self["timestamp"]?.intValue.map { UInt64(max(0, $0)) },
            type: string("type"), userID: string("user_id"), appID: string("app_id"),
            clusterID: string("cluster_id"))
    }
}
