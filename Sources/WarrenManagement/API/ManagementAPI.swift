import Foundation
import NIOCore
import Synchronization
import WarrenBroker

/// A response before it becomes HTTP: a status and a JSON body, or text (Prometheus).
struct APIResponse {
    var status: Int
    var json: JSON?
    var text: String?

    static func ok(_ json: JSON) -> APIResponse { APIResponse(status: 200, json: json) }
    static let created = APIResponse(status: 201)
    static let noContent = APIResponse(status: 204)
}

/// One request as the API sees it: the method, the decoded path after `/api`, the query, the
/// body and the authenticated user.
struct APIRequest {
    var method: String
    var path: [String]
    var query: [String: String]
    var body: ByteBuffer
    var user: BrokerConfiguration.User
    /// What the user may see; set by ``ManagementAPI/handle(_:)`` before dispatch.
    var scope = RequestScope()

    func json() throws(RequestError) -> JSON {
        guard body.readableBytes > 0 else { return .object([]) }
        // RabbitMQ's reason for any body that does not parse.
        guard let json = JSON.parse(body) else { throw .badRequest("not_json") }
        return json
    }
}

/// RabbitMQ's management API over the embedded broker. Reads take a snapshot on the broker's
/// loop and build JSON off it; writes run on the loop through ``ManagementOperations``.
final class ManagementAPI: Sendable {
    let broker: Broker
    let sampler: StatsSampler
    private let boundPort = Atomic<Int>(0)

    init(broker: Broker, sampler: StatsSampler) {
        self.broker = broker
        self.sampler = sampler
    }

    /// The management port, shown in the overview's and nodes' contexts.
    var port: Int { boundPort.load(ordering: .relaxed) }

    func setPort(_ port: Int) { boundPort.store(port, ordering: .relaxed) }

    func handle(_ request: APIRequest) async throws(RequestError) -> APIResponse {
        var request = request
        request.scope = try await scope(for: request)
        switch request.method {
        case "GET", "HEAD": return try await get(request)
        case "PUT": return try await put(request)
        case "DELETE": return try await delete(request)
        case "POST": return try await post(request)
        default: throw .methodNotAllowed
        }
    }

    func snapshot(_ parts: SnapshotParts, vhost: String? = nil) async throws(RequestError) -> BrokerSnapshot {
        do {
            return try await broker.snapshot(parts, vhost: vhost)
        } catch {
            throw RequestError(status: 503, error: "unavailable", reason: "the broker is shutting down")
        }
    }

    /// Runs a change on the broker's loop, turning its refusals into RabbitMQ's HTTP errors.
    func operate<T: Sendable>(
        as user: String? = nil, _ body: @escaping @Sendable (ManagementOperations) throws(ManagementError) -> T
    ) async throws(RequestError) -> T {
        do {
            return try await broker.withOperations(as: user, body)
        } catch let error as ManagementError {
            switch error.kind {
            case .notFound: throw RequestError(status: 404, error: "not_found", reason: "NOT_FOUND - " + error.reason)
            case .badRequest: throw .badRequest(error.reason)
            // RabbitMQ's management API answers every refusal of its AMQP operations so.
            case .accessRefused: throw Self.accessRefused
            case .notAuthorised: throw Self.notAuthorised(error.reason)
            case .objectNotFound: throw .notFound
            case .notFoundExplained: throw RequestError(status: 404, error: "not_found", reason: error.reason)
            case .locked: throw RequestError(status: 405, error: "resource_locked", reason: error.reason)
            }
        } catch {
            throw RequestError(status: 503, error: "unavailable", reason: "the broker is shutting down")
        }
    }

    /// Samples the broker's counters now (the sampler task calls this every interval).
    /// Records one sample; returns how many queues it covered.
    @discardableResult
    func sample() async -> Int {
        guard let snapshot = try? await broker.snapshot(.all) else { return 0 }
        sampler.record(snapshot, node: NodeMetrics.read(snapshot))
        return snapshot.queues.count
    }

    /// `amq.default` in a URL means the default exchange, as in RabbitMQ.
    static func exchangeName(_ name: String) -> String { name == "amq.default" ? "" : name }

    func requireVhost(_ name: String, in snapshot: BrokerSnapshot) throws(RequestError) {
        guard snapshot.vhosts.contains(name) else { throw .notFound }
    }
}
