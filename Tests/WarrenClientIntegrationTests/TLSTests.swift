import Foundation
import NIOCore
import Testing
import WarrenClient

/// amqps against the node's TLS listener, whose certificate is signed by the test CA
/// (WARREN_RABBITMQ_CA_FILE) for the name "localhost".
@Suite(.enabled(if: LiveBroker.isAvailable && LiveBroker.tlsURL != nil && LiveBroker.caFile != nil,
                "needs WARREN_RABBITMQ_TLS_URL and WARREN_RABBITMQ_CA_FILE (scripts/test sets them)"))
struct TLSTests {
    static var trustedURL: String {
        LiveBroker.tlsURL! + "?cacertfile=" + LiveBroker.queryValue(LiveBroker.caFile!)
    }

    @Test func publishAndGetOverTLS() async throws {
        let name = LiveBroker.uniqueName("tls")
        let connection = try await AMQPConnection.connect(to: Self.trustedURL + "&connection_name=\(name)")
        do {
            #expect(connection.configuration.tls != nil)
            let channel = try await connection.openChannel()
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let body = ByteBuffer.pattern(count: 200_000)
            try await channel.publish(body, routingKey: queue, properties: BasicProperties(messageID: "over-tls"))
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.body == body)
            #expect(got.message.properties.messageID == "over-tls")

            // The broker agrees that this connection is encrypted.
            let output = try await LiveBroker.rabbitmqctl(
                "list_connections", "client_properties", "ssl", "ssl_protocol", "--formatter", "json", "--silent")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
            let row = try #require(rows.first { row in
                (row["client_properties"] as? [[Any]] ?? []).contains { $0.last as? String == name }
            })
            #expect(row["ssl"] as? Bool == true)
            #expect((row["ssl_protocol"] as? String)?.hasPrefix("tlsv1.") == true, "\(row)")
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test func untrustedCertificateFailsWithoutHanging() async throws {
        // Without cacertfile the system trust store is used, which does not know the test CA.
        let url = LiveBroker.tlsURL! + "?connection_timeout=10000"
        let error = try await withTimeout(60, "the TLS connection to fail") {
            try await expectClientError {
                let connection = try await AMQPConnection.connect(to: url)
                try? await connection.close()
            }
        }
        // Refused by the certificate check, not by the 10 s connection timeout: the reason says so
        // (no timed assertion, which a loaded CI machine could break).
        switch error {
        case .connectFailed(_, _, let reason), .connectionClosed(let reason):
            #expect(reason.contains("CERTIFICATE_VERIFY_FAILED") || reason.lowercased().contains("certificate"),
                    "\(reason)")
        default:
            Issue.record("expected connectFailed or connectionClosed, got \(error)")
        }
    }

    @Test func plainAMQPToTheTLSPortFails() async throws {
        // A client that forgets the "s": the TLS listener cannot make sense of the AMQP header.
        var components = URLComponents(string: LiveBroker.tlsURL!)!
        components.scheme = "amqp"
        let url = components.string! + "?connection_timeout=3000"
        let error = try await withTimeout(10, "plain AMQP to the TLS port to fail") {
            try await expectClientError {
                let connection = try await AMQPConnection.connect(to: url)
                try? await connection.close()
            }
        }
        switch error {
        case .connectionClosed, .connectionTimeout, .protocolError: break
        default: Issue.record("unexpected error \(error)")
        }
    }

    @Test func verifyNoneSkipsTheCheck() async throws {
        let connection = try await AMQPConnection.connect(to: LiveBroker.tlsURL! + "?verify=verify_none")
        try await connection.openChannel().queueDeclare("", exclusive: true)
        try await connection.close()
    }
}
