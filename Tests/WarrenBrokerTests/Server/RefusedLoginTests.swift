import NIOCore
import Synchronization
import Testing
import WarrenBroker
import WarrenWire

/// A refused login as RabbitMQ's reader handles it: connection.close 403 at once, then nothing is
/// read and the socket stays open for the failure delay (the healthy client
/// beside it is served meanwhile), so one connection cannot try passwords
/// quickly; the reason goes to the broker's log, the client learns nothing more.
@Suite struct RefusedLoginTests {
    /// Lines the broker logged.
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }

    func configuration(log: Log, delay: TimeAmount) -> BrokerConfiguration {
        var configuration = BrokerConfiguration(amqpPort: 0)
        configuration.authenticationFailureDelay = delay
        configuration.log = { log.add($0) }
        return configuration
    }

    func refusedLogin(port: Int, user: String, password: String, capability: Bool) async throws -> RawAMQPConnection {
        let raw = try await RawAMQPConnection.connect(port: port)
        try await raw.write(ProtocolHeader.bytes)
        try await raw.expect("connection.start") { if case .connectionStart = $0 { true } else { false } }
        let capabilities: FieldTable = capability ? ["capabilities": .table(["authentication_failure_close": true])] : [:]
        try await raw.send(ConnectionStartOk(
            clientProperties: capabilities,
            response: ByteBuffer(bytes: [0] + Array(user.utf8) + [0] + Array(password.utf8))))
        return raw
    }

    @Test func theSocketStaysOpenForTheDelayAfterCloseOkAndOthersAreServed() async throws {
        let log = Log()
        try await withHealthyBroker(configuration(log: log, delay: .seconds(2))) { broker, _ in
            let raw = try await refusedLogin(port: broker.amqpPort, user: "guest", password: "wrong", capability: true)
            guard case .connectionClose(let close)? = try await raw.nextMethod() else {
                Issue.record("expected connection.close")
                return
            }
            #expect(close.replyCode == 403)
            try await raw.send(ConnectionCloseOk())
            // RabbitMQ does not read the close-ok: the socket closes when the delay is over, not now.
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await raw.isClosed == false)
            try await raw.waitUntilClosed()
        }
        let lines = log.all
        #expect(lines.count == 1)
        #expect(lines.first?.contains("PLAIN login refused: user 'guest' - invalid credentials") == true)
        #expect(lines.first?.contains("wrong") == false, "the password must not be logged")
    }

    @Test func withoutTheCapabilityTheSocketClosesAfterTheDelayWithoutAMethod() async throws {
        let log = Log()
        try await withHealthyBroker(configuration(log: log, delay: .seconds(1))) { broker, _ in
            let raw = try await refusedLogin(port: broker.amqpPort, user: "guest", password: "wrong", capability: false)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await raw.isClosed == false)
            let next = try await raw.nextMethod()
            #expect(next == nil, "expected the socket to close without a method, got \(String(describing: next))")
        }
        #expect(log.all.count == 1)
    }

    /// A user that does not exist is refused and logged in the same words as a wrong password.
    @Test func anUnknownUserLooksLikeAWrongPassword() async throws {
        let log = Log()
        try await withHealthyBroker(configuration(log: log, delay: .milliseconds(100))) { broker, _ in
            for (user, password) in [("guest", "wrong"), ("nobody", "guest")] {
                let raw = try await refusedLogin(port: broker.amqpPort, user: user, password: password, capability: true)
                let close = try await raw.expectConnectionClose()
                #expect(close.replyCode == 403)
                #expect(close.replyText == "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
                    + "For details see the broker logfile.")
            }
        }
        let lines = log.all.map { $0.replacing("'nobody'", with: "'guest'") }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("PLAIN login refused: user 'guest' - invalid credentials") })
    }

    /// Bytes a refused client keeps sending are neither parsed nor kept.
    @Test func whatARefusedClientSendsIsIgnored() async throws {
        let log = Log()
        try await withHealthyBroker(configuration(log: log, delay: .seconds(1))) { broker, _ in
            let raw = try await refusedLogin(port: broker.amqpPort, user: "guest", password: "wrong", capability: true)
            _ = try await raw.nextMethod()
            try await raw.write([UInt8](repeating: 0xCE, count: 1 << 20))
            let rest = try await raw.waitUntilClosed()
            #expect(rest.isEmpty, "nothing after connection.close, got \(rest.count) bytes")
        }
    }
}
