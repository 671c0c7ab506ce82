import NIOCore

/// Everything that can be wrong with bytes on an AMQP 0-9-1 connection.
///
/// Each case knows the connection-level reply code a server answers it with, so a broker can
/// close the connection with `connection.close` carrying ``replyCode`` and ``replyText``.
public enum AMQPWireError: Error, Sendable, Hashable {
    /// A frame's payload is larger than the negotiated `frame_max`. `maximum` is the payload the
    /// specification allows (`frame_max - 8`), the figure RabbitMQ's reply text names, although
    /// RabbitMQ and this decoder accept payloads up to `frame_max` itself.
    case frameTooLarge(type: UInt8, size: UInt32, maximum: UInt32)
    /// The octet after a frame's payload is not 0xCE.
    case badFrameEnd(UInt8)
    /// The frame type octet is not method (1), header (2), body (3) or heartbeat (8).
    case unknownFrameType(UInt8)
    /// A heartbeat frame on a channel other than 0, or with a payload.
    case malformedHeartbeat(channel: UInt16)
    /// A method frame whose payload is too short for its class and method ids.
    case truncatedMethodFrame
    /// A class id and method id that the protocol does not define.
    case unknownMethod(classID: UInt16, methodID: UInt16)
    /// A known method whose arguments are truncated or malformed.
    case malformedMethod(classID: UInt16, methodID: UInt16, reason: String)
    /// A content header frame that cannot be parsed.
    case malformedContentHeader(reason: String)
    /// A field table or array that cannot be parsed (inside a method or content header).
    case malformedFieldTable(reason: String)
    /// A short string longer than 255 bytes was given to the encoder.
    case shortStringTooLong(length: Int)
    /// A frame that is valid on its own but not where it arrived (e.g. a body with no header).
    case unexpectedFrame(channel: UInt16, reason: String)
    /// A content body larger than the limit the receiver enforces.
    case contentTooLarge(size: UInt64, maximum: UInt64)
    /// The peer sent something other than `AMQP\0\0\9\1` as the protocol header.
    case badProtocolHeader([UInt8])

    /// The AMQP reply code a server answers this error with. All are connection errors except
    /// ``contentTooLarge``, which closes only the channel (see ``ReplyCode/isHardError``).
    public var replyCode: UInt16 {
        switch self {
        case .frameTooLarge, .badFrameEnd, .unknownFrameType, .malformedHeartbeat, .truncatedMethodFrame,
            .malformedContentHeader, .badProtocolHeader:
            return ReplyCode.frameError.rawValue
        case .malformedMethod, .malformedFieldTable, .shortStringTooLong:
            return ReplyCode.syntaxError.rawValue
        case .unknownMethod:
            return ReplyCode.commandInvalid.rawValue
        case .unexpectedFrame:
            return ReplyCode.unexpectedFrame.rawValue
        case .contentTooLarge:
            // RabbitMQ closes only the channel for this one (a soft error).
            return ReplyCode.preconditionFailed.rawValue
        }
    }

    /// A reply text in RabbitMQ's "NAME - detail" form.
    public var replyText: String {
        let name = ReplyCode(rawValue: replyCode)?.name ?? "ERROR"
        return "\(name) - \(detail)"
    }

    /// A human-readable description without the reply-code name.
    public var detail: String {
        switch self {
        case .frameTooLarge(let type, let size, let maximum):
            // rabbit_reader's words, so that clients and operators see the same text on both.
            return "type \(type), all octets = <<>>: {frame_too_large,\(size),\(maximum)}"
        case .badFrameEnd(let octet):
            return "invalid frame end marker 0x\(String(octet, radix: 16))"
        case .unknownFrameType(let type):
            return "unknown frame type \(type)"
        case .malformedHeartbeat(let channel):
            return "malformed heartbeat frame on channel \(channel)"
        case .truncatedMethodFrame:
            return "method frame too short for class and method ids"
        case .unknownMethod(let classID, let methodID):
            return "unknown method \(classID).\(methodID)"
        case .malformedMethod(let classID, let methodID, let reason):
            let name = AMQPMethod.name(classID: classID, methodID: methodID) ?? "\(classID).\(methodID)"
            return "cannot decode \(name): \(reason)"
        case .malformedContentHeader(let reason):
            return "cannot decode content header: \(reason)"
        case .malformedFieldTable(let reason):
            return "cannot decode field table: \(reason)"
        case .shortStringTooLong(let length):
            return "short string of \(length) bytes exceeds 255"
        case .unexpectedFrame(let channel, let reason):
            return "\(reason) on channel \(channel)"
        case .contentTooLarge(let size, let maximum):
            return "message size \(size) is larger than configured max size \(maximum)"
        case .badProtocolHeader:
            return "bad protocol header"
        }
    }
}

extension AMQPWireError: CustomStringConvertible {
    public var description: String { replyText }
}
