import NIOCore
import NIOSSL
@_exported import WarrenWire

/// How to reach and log in to an AMQP 0-9-1 broker.
public struct AMQPConnectionConfiguration: Sendable {
    public enum AuthenticationMechanism: String, Sendable {
        case plain = "PLAIN"
        case amqplain = "AMQPLAIN"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String
    public var virtualHost: String
    /// Set for `amqps`; `nil` for plain TCP.
    public var tls: TLSConfiguration?
    /// The host name sent in TLS SNI and checked against the certificate; defaults to `host`.
    public var tlsServerName: String?
    /// Seconds; 0 disables heartbeats. The broker's value is used when it is lower.
    public var heartbeat: UInt16
    /// Upper bound on frame size; 0 accepts the broker's value.
    public var frameMax: UInt32
    /// Upper bound on channels; 0 accepts the broker's value.
    public var channelMax: UInt16
    /// Time allowed for TCP connect, TLS and the AMQP handshake together.
    public var connectionTimeout: TimeAmount
    public var authenticationMechanism: AuthenticationMechanism
    /// Shown by the broker (management UI, `rabbitmqctl list_connections client_properties`).
    public var connectionName: String?

    public init(
        host: String = "localhost", port: Int? = nil, username: String = "guest", password: String = "guest",
        virtualHost: String = "/", tls: TLSConfiguration? = nil, heartbeat: UInt16 = 60, frameMax: UInt32 = 0,
        channelMax: UInt16 = 0, connectionTimeout: TimeAmount = .seconds(30),
        authenticationMechanism: AuthenticationMechanism = .plain, connectionName: String? = nil
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? 5672 : 5671)
        self.username = username
        self.password = password
        self.virtualHost = virtualHost
        self.tls = tls
        self.heartbeat = heartbeat
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.connectionTimeout = connectionTimeout
        self.authenticationMechanism = authenticationMechanism
        self.connectionName = connectionName
    }

    /// The URI with the password hidden, for messages and logs.
    public var redactedURL: String {
        let scheme = tls == nil ? "amqp" : "amqps"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let vhost = virtualHost == "/" ? "" : "/" + AMQPURL.percentEncode(virtualHost)
        return "\(scheme)://\(AMQPURL.percentEncode(username))@\(hostPart):\(port)\(vhost)"
    }
}
