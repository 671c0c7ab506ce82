import Foundation
import WarrenClient

/// Why the monitor or an action failed, worded for a one-line message.
public enum MonitorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A URL that cannot be used (the password is never included).
    case badURL(String, reason: String)
    /// The broker refused the credentials.
    case loginRefused(String)
    /// Nothing answered, or the connection broke.
    case unreachable(String)
    /// A queue, exchange or virtual host that does not exist.
    case notFound(String)
    /// The broker answered with an error status.
    case http(status: Int, detail: String)
    /// A response that is not the JSON expected.
    case badResponse(String)
    /// The broker refused an AMQP operation (reply code and text).
    case refused(String)
    /// An action that refused to run without a confirmation (e.g. peeking a quorum queue with a
    /// delivery limit).
    case needsForce(String)
    /// Anything else.
    case failed(String)

    public var description: String {
        switch self {
        case .badURL(let url, let reason): return "bad URL '\(url)': \(reason)"
        case .loginRefused(let detail): return "login refused: \(detail)"
        case .unreachable(let detail): return "broker unreachable: \(detail)"
        case .notFound(let detail): return detail
        case .http(let status, let detail): return "HTTP \(status): \(detail)"
        case .badResponse(let detail): return "unexpected response: \(detail)"
        case .refused(let detail): return detail
        case .needsForce(let detail): return detail
        case .failed(let detail): return detail
        }
    }

    /// Maps a client error to what it means to an operator.
    public init(_ error: AMQPClientError) {
        switch error {
        case .invalidURL(let url, let reason): self = .badURL(url, reason: reason)
        case .authenticationFailed(let reason): self = .loginRefused(reason.description)
        case .connectionTimeout(let host, let port): self = .unreachable("timed out connecting to \(host):\(port)")
        case .connectFailed(let host, let port, let reason): self = .unreachable("\(host):\(port): \(reason)")
        case .connectionClosed(let reason): self = .unreachable("connection closed: \(reason)")
        case .missedHeartbeats: self = .unreachable("the broker stopped answering (missed heartbeats)")
        case .channelClosedByServer(let reason), .connectionClosedByServer(let reason):
            switch reason.replyCode {
            case 404: self = .notFound(reason.replyText)
            case 403 where reason.replyText.contains("login") || reason.replyText.contains("access to vhost"):
                self = .loginRefused(reason.replyText)
            case 320: self = .unreachable(reason.replyText)
            default: self = .refused(reason.replyText)
            }
        default: self = .failed(error.description)
        }
    }

    /// Any error thrown while talking to a broker, as a `MonitorError`.
    public static func from(_ error: any Error) -> MonitorError {
        if let error = error as? MonitorError { return error }
        if let error = error as? AMQPClientError { return MonitorError(error) }
        return .failed(String(describing: error))
    }
}
