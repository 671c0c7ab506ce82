import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// One HTTP exchange with a management API: what ``ManagementSource`` sends and what comes back.
/// A protocol so that tests can count and inspect the requests a poll makes (a recording layer
/// over the real client), and feed it broken responses.
public protocol ManagementTransport: Sendable {
    func send(_ request: ManagementRequest, timeout: TimeAmount) async throws -> ManagementResponse
}

public struct ManagementRequest: Sendable {
    public var method: HTTPMethod
    /// The full URL, query included, without credentials.
    public var url: String
    public var authorization: String

    public init(method: HTTPMethod, url: String, authorization: String) {
        self.method = method
        self.url = url
        self.authorization = authorization
    }
}

public struct ManagementResponse: Sendable {
    public var status: HTTPResponseStatus
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, body: ByteBuffer) {
        self.status = status
        self.body = body
    }
}

/// The real transport: AsyncHTTPClient.
public struct HTTPClientTransport: ManagementTransport {
    /// RabbitMQ gzips its responses, and lists of similar JSON objects shrink far more than the
    /// 25:1 ratio AsyncHTTPClient's shared client accepts (a busy /api/nodes failed with
    /// DecompressionError.limit), so this client bounds the decompressed size instead.
    public static let shared = HTTPClientTransport(client: {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.decompression = .enabled(limit: .size(512 << 20))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }())

    private static let trustingClients = Mutex<[String: HTTPClientTransport]>([:])

    /// A client that trusts only the CA in this PEM file: one per file, kept for the process.
    public static func trusting(caFile: String) throws(MonitorError) -> HTTPClientTransport {
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw .badURL("cacertfile=\(caFile)", reason: "cannot read a PEM certificate from it: \(error)")
        }
        guard !roots.isEmpty else { throw .badURL("cacertfile=\(caFile)", reason: "no PEM certificate in it") }
        return trustingClients.withLock { clients in
            if let client = clients[caFile] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(roots)
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.decompression = .enabled(limit: .size(512 << 20))
            let client = HTTPClientTransport(client: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                                                configuration: configuration))
            clients[caFile] = client
            return client
        }
    }

    /// The largest body read; a bigger one fails the request rather than the process.
    public static let maximumBody = 512 << 20

    let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ request: ManagementRequest, timeout: TimeAmount) async throws -> ManagementResponse {
        var http = HTTPClientRequest(url: request.url)
        http.method = request.method
        http.headers.add(name: "Authorization", value: request.authorization)
        http.headers.add(name: "Accept", value: "application/json")
        // AsyncHTTPClient's deadline covers the response head only: a server that sends headers
        // and then stalls held `warren queues` for as long as it liked. The body gets the time
        // the head left over.
        let deadline = NIODeadline.now() + timeout
        let response = try await client.execute(http, deadline: deadline)
        let maximum = Self.maximumBody
        return try await withThrowingTaskGroup(of: ManagementResponse?.self) { group in
            group.addTask {
                do {
                    return ManagementResponse(status: response.status, body: try await response.body.collect(upTo: maximum))
                } catch is NIOTooManyBytesError {
                    throw ManagementTransportError.bodyTooLarge(limit: maximum)
                }
            }
            group.addTask {
                let left = deadline - NIODeadline.now()
                try await Task.sleep(nanoseconds: UInt64(max(left.nanoseconds, 0)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw ManagementTransportError.bodyTimedOut(after: timeout)
            }
            return response
        }
    }
}

public enum ManagementTransportError: Error, CustomStringConvertible {
    /// The response declared or sent more than ``HTTPClientTransport/maximumBody``.
    case bodyTooLarge(limit: Int)
    /// Headers came, the rest of the body did not within the request's timeout.
    case bodyTimedOut(after: TimeAmount)

    public var description: String {
        switch self {
        case .bodyTooLarge(let limit): "the response is larger than \(limit >> 20) MiB, more than Warren reads"
        case .bodyTimedOut(let after):
            "the response stalled: its body did not arrive within \(Double(after.nanoseconds) / 1e9) s"
        }
    }
}
