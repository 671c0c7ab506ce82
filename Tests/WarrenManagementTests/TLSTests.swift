import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WarrenBroker
import WarrenClient
import WarrenManagement
import WarrenMonitor

/// AMQPS and the management API over HTTPS, with a CA made for the test (openssl, which
/// scripts/test installs): clients that trust it get in, clients that do not are refused, the
/// plain listeners work beside them, and bad files are named when the broker starts.
@Suite struct TLSTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Made once for the suite.
    static let shared = Task { try await Material.make() }

    /// A private CA and a certificate for localhost / 127.0.0.1 signed by it, in a new directory.
    struct Material: Sendable {
        let directory: URL
        var ca: String { directory.appending(path: "ca.pem").path }
        var certificate: String { directory.appending(path: "server.pem").path }
        var key: String { directory.appending(path: "server.key").path }

        static func make() async throws -> Material {
            let directory = FileManager.default.temporaryDirectory.appending(path: "warren-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let material = Material(directory: directory)
            let (caKey, request) = (directory.appending(path: "ca.key").path, directory.appending(path: "server.csr").path)
            let extensions = directory.appending(path: "server.ext")
            try "subjectAltName = DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n"
                .write(to: extensions, atomically: true, encoding: .utf8)
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-sha256"]
            try await openssl(["req", "-x509", "-new", "-nodes"] + ec + ["-days", "2", "-subj", "/CN=Warren TLS test CA",
                                                                         "-keyout", caKey, "-out", material.ca])
            try await openssl(["req", "-new", "-nodes"] + ec + ["-subj", "/CN=localhost", "-keyout", material.key,
                                                                "-out", request])
            try await openssl(["x509", "-req", "-sha256", "-days", "2", "-in", request, "-CA", material.ca,
                               "-CAkey", caKey, "-CAcreateserial", "-extfile", extensions.path, "-out", material.certificate])
            return material
        }

        static func openssl(_ arguments: [String]) async throws {
            let result = try await Subprocess.run("/usr/bin/env", ["openssl"] + arguments)
            guard result.status == 0 else {
                throw TLSTests.Failure(description: "openssl \(arguments.first ?? "") failed: \(result.stderr)")
            }
        }
    }

    /// A broker with AMQPS and the management API on HTTPS (and plain HTTP), all on free ports.
    func withTLSBroker(_ body: (Broker, ManagementServer, Material) async throws -> Void) async throws {
        let material = try await Self.shared.value
        var configuration = BrokerConfiguration(amqpPort: 0)
        configuration.tls = .init(certificateChainFile: material.certificate, privateKeyFile: material.key, port: 0)
        let broker = try await Broker.start(configuration)
        let server: ManagementServer
        do {
            server = try await ManagementServer.start(
                broker: broker, port: 0,
                tls: .init(certificateChainFile: material.certificate, privateKeyFile: material.key, port: 0))
        } catch {
            try? await broker.shutdown()
            throw error
        }
        do {
            try await body(broker, server, material)
        } catch {
            await server.shutdown()
            try? await broker.shutdown()
            throw error
        }
        await server.shutdown()
        try await broker.shutdown()
    }

    static func amqpsURL(_ broker: Broker, _ material: Material, name: String = "tls-test") throws -> String {
        let port = try #require(broker.amqpsPort)
        return "amqps://guest:guest@localhost:\(port)/?connection_name=\(name)&cacertfile="
            + material.ca.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func aVerifiedClientPublishesAndGetsAndTheAPIListsItAsTLS() async throws {
        try await withTLSBroker { broker, server, material in
            #expect(broker.amqpsPort != broker.amqpPort)
            let connection = try await AMQPConnection.connect(to: try Self.amqpsURL(broker, material, name: "over-tls"))
            let channel = try await connection.openChannel()
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let body = ByteBuffer(repeating: 0x5A, count: 300_000)
            try await channel.publish(body, routingKey: queue)
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.body == body)

            let port = try #require(server.tlsPort)
            let transport = try HTTPClientTransport.trusting(caFile: material.ca)
            let response = try await transport.send(
                ManagementRequest(method: .GET, url: "https://localhost:\(port)/api/connections",
                                  authorization: "Basic " + Data("guest:guest".utf8).base64EncodedString()),
                timeout: .seconds(10))
            #expect(response.status == .ok)
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                as? [[String: Any]])
            let row = try #require(listed.first {
                ($0["client_properties"] as? [String: Any])?["connection_name"] as? String == "over-tls"
            })
            #expect(row["ssl"] as? Bool == true)
            #expect((row["ssl_protocol"] as? String)?.hasPrefix("tlsv1.") == true, "\(row)")
            let overview = try await transport.send(
                ManagementRequest(method: .GET, url: "https://localhost:\(port)/api/overview",
                                  authorization: "Basic " + Data("guest:guest".utf8).base64EncodedString()),
                timeout: .seconds(10))
            let listeners = try #require((try JSONSerialization.jsonObject(with: Data(overview.body.readableBytesView))
                as? [String: Any])?["listeners"] as? [[String: Any]])
            #expect(listeners.contains { $0["protocol"] as? String == "amqp/ssl" && $0["port"] as? Int == broker.amqpsPort })
            try await connection.close()
        }
    }

    @Test func clientsThatDoNotTrustTheCertificateOrSpeakPlainAMQPAreRefusedAndOthersGoOn() async throws {
        try await withTLSBroker { broker, _, material in
            let port = try #require(broker.amqpsPort)
            // The system's trust store does not know the test CA.
            await #expect(throws: (any Error).self) {
                let connection = try await AMQPConnection.connect(
                    to: "amqps://guest:guest@localhost:\(port)/?connection_timeout=10000")
                try? await connection.close()
            }
            await #expect(throws: (any Error).self) {
                let connection = try await AMQPConnection.connect(
                    to: "amqp://guest:guest@127.0.0.1:\(port)/?connection_timeout=10000")
                try? await connection.close()
            }
            let plain = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
            try await plain.close()
            let secure = try await AMQPConnection.connect(to: try Self.amqpsURL(broker, material))
            try await secure.close()
        }
    }

    @Test func theMonitorWatchesAnHTTPSManagementAPIThatTrustsTheURLsCA() async throws {
        try await withTLSBroker { _, server, material in
            let port = try #require(server.tlsPort)
            let trusted = try ManagementSource(url: "https://guest:guest@localhost:\(port)/?cacertfile=\(material.ca)")
            let state = try await trusted.fetch()
            #expect(state.overview.clusterName == "warren")
            let untrusted = try ManagementSource(url: "https://guest:guest@localhost:\(port)/")
            let error = await #expect(throws: MonitorError.self) { _ = try await untrusted.fetch() }
            #expect(error?.description.contains("certificate is not trusted") == true, "\(String(describing: error))")
            #expect(error?.description.contains("\n") == false, "one line: \(String(describing: error))")
            #expect(throws: MonitorError.self) {
                _ = try ManagementSource(url: "https://localhost:\(port)/?cacertfile=/nonexistent/ca.pem")
            }
        }
    }

    @Test func unreadableFilesAreNamedWhenTheBrokerStarts() async throws {
        let material = try await Self.shared.value
        var configuration = BrokerConfiguration(amqpPort: 0)
        configuration.tls = .init(certificateChainFile: material.certificate, privateKeyFile: material.ca, port: 0)
        let wrongKey = await #expect(throws: BrokerStartError.self) { _ = try await Broker.start(configuration) }
        #expect(wrongKey?.description.contains(material.ca) == true, "\(String(describing: wrongKey))")
        configuration.tls = .init(certificateChainFile: "/nonexistent/chain.pem", privateKeyFile: material.key, port: 0)
        let missing = await #expect(throws: BrokerStartError.self) { _ = try await Broker.start(configuration) }
        #expect(missing?.description.contains("/nonexistent/chain.pem") == true)
    }
}
