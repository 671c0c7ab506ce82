import NIOCore
import WarrenBroker

/// The management API without HTTP, for the fuzzer (`scripts/fuzz requests`): one request, path
/// and body as a client sent them, handled as for an administrator and answered with a status.
/// Whatever a request holds must come back as a status, never a crash.
package struct ManagementProbe: Sendable {
    private let api: ManagementAPI
    private let user = BrokerConfiguration.User(name: "guest", password: "guest", tags: [UserTag.administrator])

    package init(broker: Broker) {
        api = ManagementAPI(broker: broker, sampler: StatsSampler(interval: 5))
    }

    /// `path` is after `/api/`, percent-encoded as on the wire; the router's decoding applies.
    package func status(method: String, path: String, query: [String: String], body: ByteBuffer) async -> Int {
        guard let components = ManagementRouter.components(path[...]) else { return 400 }
        do {
            return try await api.handle(APIRequest(method: method, path: components, query: query, body: body,
                                                   user: user)).status
        } catch {
            return error.status
        }
    }
}
