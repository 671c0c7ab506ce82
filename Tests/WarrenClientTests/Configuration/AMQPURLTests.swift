import NIOCore
import Testing

@testable import WarrenClient

/// The `.invalidURL` error `url` raises, or `nil` when it parses (or fails differently).
private func invalidURL(_ url: String) -> (url: String, reason: String, description: String)? {
    do {
        _ = try AMQPConnectionConfiguration(url: url)
        return nil
    } catch {
        guard case .invalidURL(let redacted, let reason) = error else { return nil }
        return (redacted, reason, error.description)
    }
}

@Suite("AMQPURL: RabbitMQ's URI spec")
struct AMQPURLTests {
    @Test func defaults() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://localhost")
        #expect(config.host == "localhost")
        #expect(config.port == 5672)
        #expect(config.username == "guest")
        #expect(config.password == "guest")
        #expect(config.virtualHost == "/")
        #expect(config.tls == nil)
        #expect(config.tlsServerName == nil)
        #expect(config.heartbeat == 60)
        #expect(config.frameMax == 0)
        #expect(config.channelMax == 0)
        #expect(config.connectionTimeout == .seconds(30))
        #expect(config.authenticationMechanism == .plain)
        #expect(config.connectionName == nil)
    }

    @Test(arguments: ["amqp://", "amqp://:@/", "amqp:///", "AMQP://"])
    func emptyHostMeansLocalhost(url: String) throws {
        let config = try AMQPConnectionConfiguration(url: url)
        #expect(config.host == "localhost")
        #expect(config.port == 5672)
        #expect(config.virtualHost == "/")
    }

    @Test func emptyUserInfoGivesEmptyCredentials() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://:@/")
        #expect(config.username == "")
        #expect(config.password == "")
    }

    @Test func userWithoutPasswordKeepsTheDefaultPassword() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://user@host")
        #expect(config.username == "user")
        #expect(config.password == "guest")
        #expect(config.host == "host")
    }

    @Test func amqpsDefaultsToPort5671WithTLS() throws {
        let config = try AMQPConnectionConfiguration(url: "amqps://broker.example")
        #expect(config.port == 5671)
        let tls = try #require(config.tls)
        #expect(tls.certificateVerification == .fullVerification)
        #expect(config.redactedURL == "amqps://guest@broker.example:5671")
    }

    @Test func fullURL() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://user:pass@host:10000/vhost")
        #expect(config.username == "user")
        #expect(config.password == "pass")
        #expect(config.host == "host")
        #expect(config.port == 10000)
        #expect(config.virtualHost == "vhost")
    }

    @Test func portWithoutHost() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://:10000")
        #expect(config.host == "localhost")
        #expect(config.port == 10000)
    }

    @Test func percentDecodedCredentials() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://us%40er:p%3Ass@host")
        #expect(config.username == "us@er")
        #expect(config.password == "p:ss")
        let spec = try AMQPConnectionConfiguration(url: "amqp://user%61:%61pass@host/v%2fhost")
        #expect(spec.username == "usera")
        #expect(spec.password == "apass")
        #expect(spec.virtualHost == "v/host")
    }

    @Test(arguments: [
        ("amqp://host/%2F", "/"), ("amqp://host/%2f", "/"), ("amqp://host/myvhost", "myvhost"),
        ("amqp://host/", "/"), ("amqp://host", "/"), ("amqp:///vhost", "vhost"), ("amqp://host/a%20b", "a b"),
    ])
    func virtualHost(url: String, expected: String) throws {
        #expect(try AMQPConnectionConfiguration(url: url).virtualHost == expected)
    }

    @Test func ipv6() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://[::1]:5673/")
        #expect(config.host == "::1")
        #expect(config.port == 5673)
        #expect(config.redactedURL == "amqp://guest@[::1]:5673")
        let defaultPort = try AMQPConnectionConfiguration(url: "amqp://[fe80::1]")
        #expect(defaultPort.host == "fe80::1")
        #expect(defaultPort.port == 5672)
    }

    @Test func queryKeys() throws {
        let config = try AMQPConnectionConfiguration(
            url: "amqp://h/?heartbeat=10&frame_max=8192&channel_max=100&connection_timeout=2500"
                + "&auth_mechanism=amqplain&connection_name=my%20app")
        #expect(config.heartbeat == 10)
        #expect(config.frameMax == 8192)
        #expect(config.channelMax == 100)
        #expect(config.connectionTimeout == .milliseconds(2500))
        #expect(config.authenticationMechanism == .amqplain)
        #expect(config.connectionName == "my app")
        #expect(config.virtualHost == "/")
        #expect(try AMQPConnectionConfiguration(url: "amqp://h?auth_mechanism=PLAIN").authenticationMechanism == .plain)
        #expect(try AMQPConnectionConfiguration(url: "amqp://h?heartbeat=0&frame_max=0").heartbeat == 0)
        #expect(try AMQPConnectionConfiguration(url: "amqp://h?frame_max=4096").frameMax == 4096)
    }

    @Test func tlsQueryKeys() throws {
        // cacertfile is only recorded: the file is read when the TLS context is made, at connect time.
        let config = try AMQPConnectionConfiguration(
            url: "amqps://h:5999?cacertfile=/nonexistent/ca.pem&verify=verify_none&server_name_indication=rabbit.example")
        let tls = try #require(config.tls)
        #expect(tls.trustRoots == .file("/nonexistent/ca.pem"))
        #expect(tls.certificateVerification == .none)
        #expect(config.tlsServerName == "rabbit.example")
        #expect(config.port == 5999)
        let peer = try AMQPConnectionConfiguration(url: "amqps://h?verify=verify_peer")
        #expect(peer.tls?.certificateVerification == .fullVerification)
        // On a plain amqp URL the TLS keys are accepted but there is no TLS.
        #expect(try AMQPConnectionConfiguration(url: "amqp://h?verify=verify_none").tls == nil)
    }

    @Test(arguments: [
        "http://host", "amqpx://host", "localhost:5672", "amqp://host:0", "amqp://host:70000", "amqp://host:abc",
        "amqp://host:", "amqp://[::1", "amqp://h?frame_max=4095", "amqp://h?frame_max=1", "amqp://h?heartbeat=70000",
        "amqp://h?heartbeat=x", "amqp://h?bogus=1", "amqp://h?auth_mechanism=external", "amqps://h?verify=maybe",
        "amqp://h/%zz", "amqp://h/%4", "amqp://us%er@h", "amqp://h/%FF",
    ])
    func invalid(url: String) throws {
        let error = try #require(invalidURL(url))
        #expect(error.url == url)
        #expect(!error.reason.isEmpty)
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("invalid AMQP URL '\(url)': "))
    }

    @Test func specificReasons() throws {
        #expect(try #require(invalidURL("http://h")).reason == "unknown scheme 'http'")
        #expect(try #require(invalidURL("amqp://h:70000")).reason == "invalid port '70000'")
        #expect(try #require(invalidURL("amqp://h?frame_max=100")).reason.contains("4096"))
        #expect(try #require(invalidURL("amqp://h?nope=1")).reason.hasPrefix("unknown query key 'nope'"))
    }

    @Test(arguments: [
        "amqp://user:s3cret@h:0", "amqp://user:s3cret@h?nope=1", "http://user:s3cret@h", "amqp://user:s3cr%zzet@h",
        "amqp://user:s3cr%C3et@h", "amqp://user:s3cret@h/%zz", "user:s3cret@h", "amqp://user:s3cret@h?frame_max=10",
    ])
    func invalidURLNeverShowsThePassword(url: String) throws {
        let error = try #require(invalidURL(url))
        #expect(!error.url.contains("s3cr"))
        #expect(error.url.contains(":***@"))
        #expect(!error.reason.contains("s3cr"))
        #expect(!error.description.contains("s3cr"))
        #expect(!error.description.contains("\n"))
    }

    @Test func certfileThatCannotBeReadIsAnInvalidURL() throws {
        let error = try #require(invalidURL("amqps://u:s3cret@h?certfile=does-not-exist.pem"))
        #expect(error.reason.hasPrefix("cannot read certfile 'does-not-exist.pem'"))
        #expect(!error.description.contains("s3cret"))
        #expect(!error.description.contains("\n"))
    }

    @Test func redactedURLHidesThePassword() throws {
        let config = try AMQPConnectionConfiguration(url: "amqp://us%40er:s3cret@rabbit:5673/my%2Fvhost")
        #expect(config.redactedURL == "amqp://us%40er@rabbit:5673/my%2Fvhost")
        #expect(!config.redactedURL.contains("s3cret"))
        #expect(AMQPURL.redact("amqp://u:p@h/v") == "amqp://u:***@h/v")
        #expect(AMQPURL.redact("amqp://u@h/v") == "amqp://u@h/v")
        #expect(AMQPURL.redact("amqp://h/v@x:y") == "amqp://h/v@x:y")
    }
}
