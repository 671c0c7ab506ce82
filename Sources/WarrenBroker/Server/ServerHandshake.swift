import NIOCore
import WarrenWire

/// What the client said it can do, from `client-properties.capabilities`.
struct ClientCapabilities {
    var consumerCancelNotify = false
    var connectionBlocked = false
    var authenticationFailureClose = false

    init(_ clientProperties: FieldTable = [:]) {
        guard let table = clientProperties["capabilities"]?.tableValue else { return }
        consumerCancelNotify = table["consumer_cancel_notify"]?.boolValue ?? false
        connectionBlocked = table["connection.blocked"]?.boolValue ?? false
        authenticationFailureClose = table["authentication_failure_close"]?.boolValue ?? false
    }
}

/// The broker side of the connection handshake, as a value: start, start-ok (login), tune,
/// tune-ok (limits checked as RabbitMQ checks them), open (vhost). No I/O happens here.
struct ServerHandshake {
    enum State {
        case awaitingStartOk
        case awaitingTuneOk
        case awaitingOpen
        case open
    }

    enum Action {
        case send(AMQPMethod)
        /// Login refused: close with 403 if the client can take it, else just drop the socket;
        /// `logged` is the reason for the broker's log, which the client is not told.
        case refuseLogin(BrokerError, sendClose: Bool, logged: String)
        case tuned(frameMax: UInt32, channelMax: UInt16, heartbeat: UInt16)
        case opened(vhost: String, reply: AMQPMethod)
        case fail(BrokerError)
    }

    private(set) var state: State = .awaitingStartOk
    private(set) var username = ""
    private(set) var capabilities = ClientCapabilities()
    private(set) var clientProperties = FieldTable()
    let configuration: BrokerConfiguration
    let peerIsLoopback: Bool

    init(configuration: BrokerConfiguration, peerIsLoopback: Bool) {
        self.configuration = configuration
        self.peerIsLoopback = peerIsLoopback
    }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    static func serverProperties(_ configuration: BrokerConfiguration) -> FieldTable {
        [
            "capabilities": .table([
                "publisher_confirms": true, "exchange_exchange_bindings": true, "basic.nack": true,
                "consumer_cancel_notify": true, "connection.blocked": true, "consumer_priorities": true,
                "authentication_failure_close": true, "per_consumer_qos": true, "direct_reply_to": true,
            ]),
            "cluster_name": .string(configuration.clusterName),
            "copyright": "Warren developers",
            "information": "Warren's embedded AMQP 0-9-1 broker",
            "platform": "Swift",
            "product": "Warren",
            "version": .string(BrokerVersion.current),
        ]
    }

    func start() -> ConnectionStart {
        ConnectionStart(versionMajor: 0, versionMinor: 9, serverProperties: Self.serverProperties(configuration),
                        mechanisms: ByteBuffer(string: "PLAIN AMQPLAIN"), locales: ByteBuffer(string: "en_US"))
    }

    mutating func received(_ method: AMQPMethod) -> Action {
        switch (state, method) {
        case (.awaitingStartOk, .connectionStartOk(let startOk)):
            clientProperties = startOk.clientProperties
            capabilities = ClientCapabilities(startOk.clientProperties)
            let mechanism = startOk.mechanism
            func refuse(_ why: String) -> Action {
                .refuseLogin(.accessRefused("Login was refused using authentication mechanism \(mechanism). "
                                                + "For details see the broker logfile."),
                             sendClose: capabilities.authenticationFailureClose,
                             logged: "\(mechanism) login refused: \(why)")
            }
            guard let (user, password) = Self.credentials(mechanism: mechanism, response: startOk.response) else {
                return refuse("the \(mechanism) response could not be read")
            }
            // As RabbitMQ's internal backend: one text for a missing user and a wrong password.
            guard let account = configuration.users.first(where: { $0.name == user }) else {
                _ = PasswordHash.timingDecoy.matches(password)
                return refuse("user '\(user)' - invalid credentials")
            }
            guard account.hasPassword(password) else { return refuse("user '\(user)' - invalid credentials") }
            guard !account.loopbackOnly || peerIsLoopback else {
                return refuse("user '\(user)' can only connect via localhost")
            }
            username = user
            state = .awaitingTuneOk
            return .send(ConnectionTune(channelMax: configuration.channelMax, frameMax: configuration.frameMax,
                                        heartbeat: configuration.heartbeat).method)

        case (.awaitingTuneOk, .connectionTuneOk(let tuneOk)):
            if let error = Self.validate("frame_max", tuneOk.frameMax, minimum: FrameConstants.minimumFrameMax,
                                         server: configuration.frameMax) {
                return .fail(error)
            }
            if let error = Self.validate("channel_max", UInt32(tuneOk.channelMax), minimum: 0,
                                         server: UInt32(configuration.channelMax)) {
                return .fail(error)
            }
            state = .awaitingOpen
            return .tuned(frameMax: tuneOk.frameMax, channelMax: tuneOk.channelMax, heartbeat: tuneOk.heartbeat)

        case (.awaitingOpen, .connectionOpen(let open)):
            guard configuration.virtualHosts.contains(open.virtualHost) else {
                return .fail(.notAllowed("vhost \(open.virtualHost) not found"))
            }
            guard configuration.permissions?.contains(where: { $0.user == username && $0.vhost == open.virtualHost })
                ?? true
            else {
                return .fail(.notAllowed("access to vhost '\(open.virtualHost)' refused for user '\(username)'"))
            }
            state = .open
            return .opened(vhost: open.virtualHost, reply: ConnectionOpenOk().method)

        default:
            return .fail(.commandInvalid("unexpected method \(method.name) during the connection handshake"))
        }
    }

    /// RabbitMQ's check of a client's tune-ok value against the server's limit.
    private static func validate(_ field: String, _ value: UInt32, minimum: UInt32, server: UInt32) -> BrokerError? {
        if value != 0 && value < minimum {
            return .notAllowed("negotiated \(field) = \(value) is lower than the minimum allowed value (\(minimum))")
        }
        if server != 0 && (value == 0 || value > server) {
            return .notAllowed("negotiated \(field) = \(value) is higher than the maximum allowed value (\(server))")
        }
        return nil
    }

    /// Username and password from a PLAIN (`authzid\0user\0password`) or AMQPLAIN response.
    static func credentials(mechanism: String, response: ByteBuffer) -> (String, String)? {
        switch mechanism {
        case "PLAIN":
            let parts = response.readableBytesView.split(separator: 0, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (String(decoding: parts[1], as: UTF8.self), String(decoding: parts[2], as: UTF8.self))
        case "AMQPLAIN":
            var bytes = response
            var entries: [(String, FieldValue)] = []
            while bytes.readableBytes > 0 {
                guard let entry = try? bytes.readFieldTableEntry() else { return nil }
                entries.append(entry)
            }
            let table = FieldTable(entries)
            guard let user = table["LOGIN"]?.stringValue, let password = table["PASSWORD"]?.stringValue else { return nil }
            return (user, password)
        default:
            return nil
        }
    }
}

/// The broker's version, in `server-properties` and the management API.
public enum BrokerVersion {
    public static let current = "0.1.0"
}
