import Foundation
import NIOCore
import WarrenWire

/// How a message body is shown.
public enum BodyEncoding: String, Sendable, Hashable, Codable {
    case text
    case json
    case hex
}

/// A message as peek shows it: delivery fields, decoded properties and headers, `x-death`, and
/// the body as JSON, text or hex, whichever it really is.
public struct MessageView: Sendable, Hashable, Codable {
    public var index: Int
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var properties: [String: JSON]
    public var headers: JSON?
    public var deadLetter: DeadLetterHistory
    public var bodyBytes: Int
    public var bodyEncoding: BodyEncoding
    /// The body as shown: pretty JSON, UTF-8 text, or hex (cut at `maximumBodyBytes`).
    public var body: String
    public var bodyTruncated: Bool
    /// The whole body's digest (``Resend/digest(_:)``): finds this message again in its queue.
    public var bodyDigest: UInt64?

    public init(index: Int, redelivered: Bool, exchange: String, routingKey: String, properties: BasicProperties,
                body: ByteBuffer, maximumBodyBytes: Int = 64 << 10) {
        self.index = index
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = Self.decode(properties)
        headers = properties.headers?.json
        deadLetter = DeadLetterHistory(headers: properties.headers)
        bodyBytes = body.readableBytes
        bodyDigest = Resend.digest(body.readableBytesView)
        let bytes = Array(body.readableBytesView.prefix(maximumBodyBytes))
        bodyTruncated = body.readableBytes > maximumBodyBytes
        (bodyEncoding, self.body) = Self.render(bytes, truncated: bodyTruncated, contentType: properties.contentType)
    }

    static func render(_ bytes: [UInt8], truncated: Bool, contentType: String?) -> (BodyEncoding, String) {
        if !truncated, let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
           bytes.first.map({ $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }) ?? false,
           let pretty = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
        {
            return (.json, String(decoding: pretty, as: UTF8.self))
        }
        if let text = String(validating: bytes, as: UTF8.self),
           !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" })
        {
            return (.text, text)
        }
        return (.hex, hexDump(bytes))
    }

    /// 16 bytes a line: offset, hex, printable ASCII.
    static func hexDump(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { offset in
            let line = bytes[offset..<min(offset + 16, bytes.count)]
            let hex = line.map { String(format: "%02x", $0) }.joined(separator: " ")
            let ascii = String(line.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
            return String(format: "%08x  ", offset) + hex.padding(toLength: 48, withPad: " ", startingAt: 0) + " " + ascii
        }.joined(separator: "\n")
    }

    static func decode(_ p: BasicProperties) -> [String: JSON] {
        var out: [String: JSON] = [:]
        func put(_ key: String, _ value: String?) { if let value { out[key] = .string(value) } }
        put("content_type", p.contentType)
        put("content_encoding", p.contentEncoding)
        if let mode = p.deliveryMode { out["delivery_mode"] = .number(Double(mode)) }
        if let priority = p.priority { out["priority"] = .number(Double(priority)) }
        put("correlation_id", p.correlationID)
        put("reply_to", p.replyTo)
        put("expiration", p.expiration)
        put("message_id", p.messageID)
        if let timestamp = p.timestamp { out["timestamp"] = .number(Double(timestamp)) }
        put("type", p.type)
        put("user_id", p.userID)
        put("app_id", p.appID)
        put("cluster_id", p.clusterID)
        return out
    }
}
