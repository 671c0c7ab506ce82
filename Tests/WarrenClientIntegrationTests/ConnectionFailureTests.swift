import Foundation
import NIOCore
import Testing
import WarrenClient

/// Connections that cannot be made: each fails fast, with an error that says why and never
/// shows the password.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ConnectionFailureTests {
    /// The test node's URL split up, to build variants of it.
    static var base: URLComponents { URLComponents(string: LiveBroker.url!)! }
    static var hostPort: String { "\(base.host!):\(base.port!)" }

    @Test func wrongPasswordIsAccessRefused() async throws {
        let error = try await connectError("amqp://guest:wrong-s3cret@\(Self.hostPort)/")
        guard case .authenticationFailed(let reason) = error else {
            Issue.record("expected authenticationFailed, got \(error)")
            return
        }
        #expect(reason.replyCode == 403)
        #expect(reason.replyText.contains("ACCESS_REFUSED"))
        #expect(reason.replyText == "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
            + "For details see the broker logfile.")
        #expect(error.replyCode == 403)
        #expect(!"\(error)".contains("wrong-s3cret"))
    }

    @Test func unknownUserIsAccessRefusedToo() async throws {
        let error = try await connectError("amqp://nobody-\(UInt32.random(in: 0...UInt32.max)):x@\(Self.hostPort)/")
        #expect(error.replyCode == 403)
        guard case .authenticationFailed = error else {
            Issue.record("expected authenticationFailed, got \(error)")
            return
        }
    }

    @Test func amqplainLoginWorksAndIsRefusedLikePlain() async throws {
        try await LiveBroker.withConnection("?auth_mechanism=amqplain") { connection in
            try await connection.openChannel().queueDeclare("", exclusive: true)
        }
        let error = try await connectError("amqp://guest:bad@\(Self.hostPort)/?auth_mechanism=amqplain")
        #expect(error == .authenticationFailed(AMQPCloseReason(
            replyCode: 403,
            replyText: "ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. "
                + "For details see the broker logfile.",
            classID: 0, methodID: 0)))
    }

    /// A refused connection is reported as such (not as a timeout); how fast is for benchmarks.
    @Test func deadPortIsConnectFailed() async throws {
        let port = try unusedPort()
        let error = try await connectError("amqp://guest:guest@127.0.0.1:\(port)/")
        guard case .connectFailed(let host, let failedPort, let reason) = error else {
            Issue.record("expected connectFailed, got \(error)")
            return
        }
        #expect(host == "127.0.0.1")
        #expect(failedPort == port)
        #expect(reason.lowercased().contains("refused"), "\(reason)")
    }

    @Test func unknownVirtualHostIsNotAllowed() async throws {
        let vhost = LiveBroker.uniqueName("no-vhost")
        let error = try await connectError("amqp://guest:guest@\(Self.hostPort)/\(vhost)")
        // The login worked, so this is not an authentication failure: the broker refused
        // connection.open with 530, and the client reports the broker's close as it is.
        guard case .connectionClosedByServer(let reason) = error else {
            Issue.record("expected connectionClosedByServer, got \(error)")
            return
        }
        #expect(reason.replyCode == 530)
        #expect(reason.replyText == "NOT_ALLOWED - vhost \(vhost) not found")
        #expect(reason.classID == 10 && reason.methodID == 40)  // connection.open
    }

    @Test func percentEncodedDefaultVirtualHostWorks() async throws {
        // "%2F" is the vhost "/" (an empty path is too; that is how every other test connects).
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@\(Self.hostPort)/%2F")
        try await connection.openChannel().queueDeclare("", exclusive: true)
        try await connection.close()
    }

    @Test(arguments: [
        ("http://guest:s3cret@localhost/", "unknown scheme 'http'"),
        ("localhost:5672", "expected amqp:// or amqps://"),
        ("amqp://guest:s3cret@localhost:99999/", "invalid port '99999'"),
        ("amqp://guest:s3cret@localhost:port/", "invalid port 'port'"),
        ("amqp://guest:s3cret@[::1/", "unterminated IPv6 address"),
        ("amqp://guest:s3cret@localhost/?heartbeat=soon", "heartbeat must be a whole number, got 'soon'"),
        ("amqp://guest:s3cret@localhost/?frame_max=100", "frame_max must be 0 or at least 4096"),
        ("amqp://guest:s3cret@localhost/?channel_max=70000", "channel_max must be a whole number, got '70000'"),
        ("amqp://guest:s3cret@localhost/?auth_mechanism=gssapi", "auth_mechanism must be plain or amqplain"),
        ("amqp://guest:s3cret@localhost/?bogus=1", "unknown query key 'bogus'"),
        ("amqp://guest:s3cret@localhost/%zz", "bad percent-encoding in '%zz'"),
        // The password itself badly encoded: the reason must not quote it.
        ("amqp://guest:s3cret%zz@localhost/", "bad percent-encoding in the password"),
        ("amqp://guest:s3cret%FF@localhost/", "percent-encoding in the password is not UTF-8"),
    ])
    func invalidURLs(url: String, reason expected: String) async throws {
        let error = try await expectClientError { _ = try await AMQPConnection.connect(to: url) }
        guard case .invalidURL(let shown, let reason) = error else {
            Issue.record("expected invalidURL for \(url), got \(error)")
            return
        }
        #expect(reason.hasPrefix(expected), "\(reason)")
        #expect(!shown.contains("s3cret"), "\(shown)")
        #expect(!reason.contains("s3cret"), "\(reason)")
        #expect(!"\(error)".contains("s3cret"), "\(error)")
        if url.contains("guest:s3cret@") { #expect(shown.contains("guest:***@"), "\(shown)") }
    }

    /// Connects (bounded by a 10 s connection timeout and a watchdog) and returns the error.
    private func connectError(_ url: String) async throws -> AMQPClientError {
        let separator = url.contains("?") ? "&" : "?"
        return try await withTimeout(15, "the connection attempt to fail") {
            try await expectClientError {
                let connection = try await AMQPConnection.connect(to: url + separator + "connection_timeout=10000")
                try? await connection.close()
            }
        }
    }

    /// A loopback port nothing listens on: bound and released again, so connecting is refused.
    private func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                bind(fd, sockaddrPointer, length) == 0 && getsockname(fd, sockaddrPointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
