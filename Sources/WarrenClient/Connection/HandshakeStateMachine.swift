import NIOCore

/// The values both sides settled on in `connection.tune` / `tune-ok`.
public struct AMQPNegotiatedParameters: Sendable, Hashable {
    public var channelMax: UInt16
    public var frameMax: UInt32
    /// Seconds; 0 when heartbeats are off.
    public var heartbeat: UInt16

    public init(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16) {
        self.channelMax = channelMax
        self.frameMax = frameMax
        self.heartbeat = heartbeat
    }
}

/// The client side of the AMQP connection handshake, as a value: each method the broker sends
/// goes in, the methods to send back (or the outcome) come out. No I/O happens here.
///
///     client: protocol header
///     broker: connection.start      -> client: connection.start-ok (credentials)
///     broker: connection.secure     -> client: connection.secure-ok (credentials again)
///     broker: connection.tune       -> client: connection.tune-ok, connection.open
///     broker: connection.open-ok    -> open
struct HandshakeStateMachine {
    enum State {
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk(AMQPNegotiatedParameters)
        case open(AMQPNegotiatedParameters)
        case failed
    }

    enum Action {
        case send([AMQPMethod])
        /// Send these, then apply the negotiated limits (frame size) before reading further.
        case sendAndApply([AMQPMethod], AMQPNegotiatedParameters)
        case opened(AMQPNegotiatedParameters, serverProperties: FieldTable)
        case fail(AMQPClientError)
    }

    private(set) var state: State = .awaitingStart
    private(set) var serverProperties = FieldTable()
    let configuration: AMQPConnectionConfiguration
    let clientProperties: FieldTable

    init(configuration: AMQPConnectionConfiguration, clientProperties: FieldTable) {
        self.configuration = configuration
        self.clientProperties = clientProperties
    }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    mutating func received(_ method: AMQPMethod) -> Action {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let start)):
            serverProperties = start.serverProperties
            let offered = String(buffer: start.mechanisms)
            let wanted = configuration.authenticationMechanism.rawValue
            guard offered.split(separator: " ").contains(Substring(wanted)) else {
                state = .failed
                return .fail(.unsupportedMechanism(offered: offered))
            }
            state = .awaitingTune
            let startOk = ConnectionStartOk(
                clientProperties: clientProperties, mechanism: wanted, response: credentialsResponse(),
                locale: "en_US")
            return .send([startOk.method])

        case (.awaitingTune, .connectionSecure):
            return .send([ConnectionSecureOk(response: credentialsResponse()).method])

        case (.awaitingTune, .connectionTune(let tune)):
            let negotiated = AMQPNegotiatedParameters(
                channelMax: Self.lowerNonZero(configuration.channelMax, tune.channelMax, fallback: .max),
                frameMax: Self.lowerNonZero(configuration.frameMax, tune.frameMax, fallback: 0),
                heartbeat: configuration.heartbeat == 0 ? 0 : Self.lowerNonZero(configuration.heartbeat, tune.heartbeat, fallback: 0))
            state = .awaitingOpenOk(negotiated)
            let tuneOk = ConnectionTuneOk(
                channelMax: negotiated.channelMax, frameMax: negotiated.frameMax, heartbeat: negotiated.heartbeat)
            let open = ConnectionOpen(virtualHost: configuration.virtualHost)
            return .sendAndApply([tuneOk.method, open.method], negotiated)

        case (.awaitingOpenOk(let negotiated), .connectionOpenOk):
            state = .open(negotiated)
            return .opened(negotiated, serverProperties: serverProperties)

        case (_, .connectionClose(let close)):
            let reason = AMQPCloseReason(
                replyCode: close.replyCode, replyText: close.replyText, classID: close.classID,
                methodID: close.methodID)
            let wasAuthenticating: Bool
            if case .awaitingTune = state { wasAuthenticating = true } else { wasAuthenticating = false }
            state = .failed
            if close.replyCode == ReplyCode.accessRefused.rawValue && wasAuthenticating {
                return .fail(.authenticationFailed(reason))
            }
            return .fail(.connectionClosedByServer(reason))

        default:
            state = .failed
            return .fail(.unexpectedMethod("\(method.name) during the connection handshake"))
        }
    }

    /// What a socket closing mid-handshake means: after start-ok, a broker without
    /// authentication_failure_close simply drops bad logins.
    mutating func socketClosed() -> AMQPClientError {
        defer { state = .failed }
        if case .awaitingTune = state {
            return .authenticationFailed(
                AMQPCloseReason(replyCode: ReplyCode.accessRefused.rawValue,
                                replyText: "ACCESS_REFUSED - the broker closed the connection during login"))
        }
        return .connectionClosed(reason: "the broker closed the connection during the handshake")
    }

    private func credentialsResponse() -> ByteBuffer {
        var buffer = ByteBuffer()
        switch configuration.authenticationMechanism {
        case .plain:
            buffer.writeInteger(UInt8(0))
            buffer.writeString(configuration.username)
            buffer.writeInteger(UInt8(0))
            buffer.writeString(configuration.password)
        case .amqplain:
            // AMQPLAIN's response is a field table's entries without the table's length prefix.
            let table: FieldTable = ["LOGIN": .string(configuration.username), "PASSWORD": .string(configuration.password)]
            if let entries = try? table.encodedEntries() { buffer = entries }
        }
        return buffer
    }

    /// The lower of two limits where 0 means "no limit".
    static func lowerNonZero<T: FixedWidthInteger>(_ a: T, _ b: T, fallback: T) -> T {
        switch (a, b) {
        case (0, 0): return fallback
        case (0, _): return b
        case (_, 0): return a
        default: return Swift.min(a, b)
        }
    }
}
