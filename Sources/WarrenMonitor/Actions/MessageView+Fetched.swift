import Foundation
import NIOCore
import WarrenWire

extension MessageView {
    /// A message as a management API's get or peek returns it (`payload` in base64 or as a string,
    /// `properties` with `headers`). Header values come back as JSON, so their AMQP types are
    /// inferred: whole numbers as long, other numbers as double, objects as tables.
    public init(index: Int, fetched json: JSON) {
        let payload = json["payload"]?.string ?? ""
        let bytes: [UInt8]
        if json["payload_encoding"]?.string == "base64" {
            bytes = Array(Data(base64Encoded: payload) ?? Data())
        } else {
            bytes = Array(payload.utf8)
        }
        self.init(index: index, redelivered: json["redelivered"]?.bool ?? false, exchange: json["exchange"]?.string ?? "",
                  routingKey: json["routing_key"]?.string ?? "",
                  properties: Self.properties(json["properties"]), body: ByteBuffer(bytes: bytes))
    }

    static func properties(_ json: JSON?) -> BasicProperties {
        guard let json, case .object = json else { return BasicProperties() }
        func small(_ key: String) -> UInt8? { json[key]?.int.flatMap { UInt8(exactly: $0) } }
        var properties = BasicProperties(
            contentType: json["content_type"]?.string, contentEncoding: json["content_encoding"]?.string,
            deliveryMode: small("delivery_mode"), priority: small("priority"),
            correlationID: json["correlation_id"]?.string, replyTo: json["reply_to"]?.string,
            expiration: json["expiration"]?.string, messageID: json["message_id"]?.string,
            type: json["type"]?.string, userID: json["user_id"]?.string, appID: json["app_id"]?.string)
        properties.timestamp = json["timestamp"]?.int.flatMap { UInt64(exactly: $0) }
        if case .object(let headers)? = json["headers"] {
            properties.headers = FieldTable(headers.sorted { $0.key < $1.key }.map { ($0.key, fieldValue($0.value)) })
        }
        return properties
    }

    static func fieldValue(_ json: JSON) -> FieldValue {
        switch json {
        case .null: return .void
        case .bool(let b): return .bool(b)
        case .number(let d):
            if d.rounded() == d, abs(d) < 9.0e18 { return .int64(Int64(d)) }
            return .double(d)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(fieldValue))
        case .object(let object):
            return .table(FieldTable(object.sorted { $0.key < $1.key }.map { ($0.key, fieldValue($0.value)) }))
        }
    }
}
