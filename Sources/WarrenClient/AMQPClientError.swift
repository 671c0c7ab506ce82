import NIOCore

/// Why a broker closed a connection or channel: the arguments of its `close` method.
public struct AMQPCloseReason: Sendable, Hashable, CustomStringConvertible {
    public var replyCode: UInt16
    /// RabbitMQ's "NAME - detail" text, such as "NOT_FOUND - no queue 'x' in vhost '/'".
    public var replyText: String
    /// The method that caused the error, or 0 and 0.
    public var classID: UInt16
    public var methodID: UInt16

    public init(replyCode: UInt16, replyText: String, classID: UInt16 = 0, methodID: UInt16 = 0) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.classID = classID
        self.methodID = methodID
    }

    public var description: String {
        if let method = AMQPMethod.name(classID: classID, methodID: methodID) {
            return "\(replyCode) \(replyText) (in reply to \(method))"
        }
        return "\(replyCode) \(replyText)"
    }
}

/// Errors of the AMQP client. Every broker-side refusal carries the broker's reply code and text.
public enum AMQPClientError: Error, Sendable, Hashable {
    /// The URI could not be parsed; the password is never included.
    case invalidURL(url: String, reason: String)
    /// TCP connect, TLS or the AMQP handshake did not finish in time.
    case connectionTimeout(host: String, port: Int)
    /// The TCP connection could not be made.
    case connectFailed(host: String, port: Int, reason: String)
    /// The broker refused the credentials (reply code 403).
    case authenticationFailed(AMQPCloseReason)
    /// The broker does not offer the mechanism this client was configured with.
    case unsupportedMechanism(offered: String)
    /// The broker closed the connection with `connection.close`.
    case connectionClosedByServer(AMQPCloseReason)
    /// The broker closed the channel with `channel.close`; the connection stays open.
    case channelClosedByServer(AMQPCloseReason)
    /// The socket closed without a `connection.close`, or after this client closed it.
    case connectionClosed(reason: String)
    /// The channel was closed by this client.
    case channelClosed
    /// Nothing was heard from the broker for two heartbeat intervals.
    case missedHeartbeats(intervalSeconds: UInt16)
    /// The broker sent bytes that break AMQP 0-9-1; the connection was closed.
    case protocolError(AMQPWireError)
    /// The broker sent a method this client did not expect at that point.
    case unexpectedMethod(String)
    /// Every channel id up to the negotiated channel-max is in use.
    case tooManyChannels(max: UInt16)
    /// The broker cancelled a consumer (its queue was deleted, or it failed over).
    case consumerCancelledByServer(consumerTag: String)
    /// A name or argument that cannot be encoded (e.g. a short string over 255 bytes).
    case invalidArgument(String)
    /// Confirm-mode operations on a channel that is not in confirm mode.
    case notInConfirmMode

    /// The broker's reply code when the broker refused something, else `nil`.
    public var replyCode: UInt16? {
        switch self {
        case .authenticationFailed(let r), .connectionClosedByServer(let r), .channelClosedByServer(let r):
            return r.replyCode
        case .protocolError(let e):
            return e.replyCode
        default:
            return nil
        }
    }

    /// The broker's reply text when the broker refused something, else `nil`.
    public var replyText: String? {
        switch self {
        case .authenticationFailed(let r), .connectionClosedByServer(let r), .channelClosedByServer(let r):
            return r.replyText
        default:
            return nil
        }
    }
}

extension AMQPClientError: CustomStringConvertible {
    /// One line, fit for a command-line error message.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): return "invalid AMQP URL '\(url)': \(reason)"
        case .connectionTimeout(let host, let port): return "timed out connecting to \(host):\(port)"
        case .connectFailed(let host, let port, let reason): return "cannot connect to \(host):\(port): \(reason)"
        case .authenticationFailed(let r): return "login refused: \(r.replyText)"
        case .unsupportedMechanism(let offered):
            return "the broker offers no supported authentication mechanism (it offers: \(offered))"
        case .connectionClosedByServer(let r): return "connection closed by the broker: \(r)"
        case .channelClosedByServer(let r): return "channel closed by the broker: \(r)"
        case .connectionClosed(let reason): return "connection closed: \(reason)"
        case .channelClosed: return "channel is closed"
        case .missedHeartbeats(let interval): return "no heartbeat from the broker for \(2 * Int(interval)) s"
        case .protocolError(let e): return "protocol error: \(e.replyText)"
        case .unexpectedMethod(let m): return "unexpected method from the broker: \(m)"
        case .tooManyChannels(let max): return "all \(max) channels of the connection are in use"
        case .consumerCancelledByServer(let tag): return "consumer '\(tag)' was cancelled by the broker"
        case .invalidArgument(let reason): return "invalid argument: \(reason)"
        case .notInConfirmMode: return "the channel is not in confirm mode (call confirmSelect first)"
        }
    }
}
