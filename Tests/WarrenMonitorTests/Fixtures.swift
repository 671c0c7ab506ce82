import Foundation
import NIOCore
import Synchronization
import Testing
@testable import WarrenMonitor

/// Real management API responses (copied from the shared captures): RabbitMQ 3.10.8's in
/// Fixtures/, LavinMQ 1.0.1's in Fixtures/lavinmq-1.0.1/.
enum Fixture {
    static let lavinmq = "lavinmq-1.0.1"

    static func data(_ name: String, folder: String? = nil) throws -> Data {
        let subdirectory = folder.map { "Fixtures/" + $0 } ?? "Fixtures"
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: subdirectory))
        return try Data(contentsOf: url)
    }

    static func json(_ name: String, folder: String? = nil) throws -> JSON { try JSON.parse(try data(name, folder: folder)) }

    /// A BrokerState of every list fixture, as one management poll would produce it.
    static func state() throws -> BrokerState {
        BrokerState(
            overview: Overview(json: try json("overview")),
            nodes: try json("nodes").array!.compactMap(NodeInfo.init(json:)),
            vhosts: try json("vhosts").array!.compactMap(VhostInfo.init(json:)),
            queues: try json("queues").array!.compactMap(QueueInfo.init(json:)),
            exchanges: try json("exchanges").array!.compactMap(ExchangeInfo.init(json:)),
            bindings: try json("bindings").array!.compactMap(BindingInfo.init(json:)),
            consumers: try json("consumers").array!.compactMap(ConsumerInfo.init(json:)),
            connections: try json("connections").array!.compactMap(ConnectionInfo.init(json:)))
    }
}

/// A management API that answers from a folder of recorded responses (`Fixtures/<folder>/`, or
/// RabbitMQ's in `Fixtures/` for nil):
/// `GET /api/<name>` is `<name>.json`, and `/api/queues/<vhost>/<name>` the queue of that name in
/// `queues.json`. Records the paths asked for.
final class FixtureManagement: ManagementTransport, Sendable {
    let folder: String?
    private let asked = Mutex<[String]>([])

    init(_ folder: String?) {
        self.folder = folder
    }

    var paths: [String] { asked.withLock { $0 } }

    static func source(_ folder: String?) throws -> (ManagementSource, FixtureManagement) {
        let transport = FixtureManagement(folder)
        return (try ManagementSource(url: "http://guest:guest@127.0.0.1:15672/", transport: transport), transport)
    }

    func send(_ request: ManagementRequest, timeout: TimeAmount) async throws -> ManagementResponse {
        let path = URLComponents(string: request.url)?.percentEncodedPath ?? request.url
        asked.withLock { $0.append(path) }
        let segments = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        var body: Data?
        if segments.count == 2 {
            body = try? Fixture.data(segments[1], folder: folder)
        } else if segments.count == 4, segments[1] == "queues",
                  let queues = try? JSON.parse(try Fixture.data("queues", folder: folder)).array,
                  let queue = queues.first(where: { $0["name"]?.string == segments[3] }) {
            body = try JSONEncoder().encode(queue)
        }
        guard let body else {
            return ManagementResponse(status: .notFound, body: ByteBuffer(string: #"{"error":"Not Found"}"#))
        }
        return ManagementResponse(status: .ok, body: ByteBuffer(bytes: body))
    }
}

