import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How much to ask of a management API, so that a poll stays cheap on a large broker.
public struct ManagementOptions: Sendable, Hashable {
    /// Page `/api/queues` with this many per request (RabbitMQ allows up to 500); `nil` fetches
    /// the list in one request.
    public var pageSize: Int?
    /// Fetch only these queue fields (`columns=`); `nil` fetches all.
    public var queueColumns: [String]?
    /// `disable_stats=true&enable_queue_totals=true`: skips the statistics database (no rates, no
    /// backing-queue figures), which is what makes very large fleets pollable at all.
    public var disableStats: Bool
    /// Only this virtual host.
    public var vhost: String?
    /// Skip `/api/connections` and `/api/consumers` (not needed by every view).
    public var skipConnections: Bool
    /// Per request.
    public var timeout: TimeAmount

    public init(pageSize: Int? = nil, queueColumns: [String]? = nil, disableStats: Bool = false, vhost: String? = nil,
                skipConnections: Bool = false, timeout: TimeAmount = .seconds(10)) {
        self.pageSize = pageSize
        self.queueColumns = queueColumns
        self.disableStats = disableStats
        self.vhost = vhost
        self.skipConnections = skipConnections
        self.timeout = timeout
    }

    /// The columns a queue table needs, for `queueColumns` on large brokers.
    public static let tableColumns = [
        "name", "vhost", "type", "durable", "auto_delete", "exclusive", "arguments", "effective_policy_definition",
        "policy", "node", "state", "messages", "messages_ready", "messages_unacknowledged", "consumers",
        "messages_details.rate", "message_stats.publish", "message_stats.publish_details.rate",
        "message_stats.deliver_get", "message_stats.deliver_get_details.rate", "message_stats.ack",
        "message_stats.ack_details.rate", "leader", "members", "online", "messages_ram", "messages_paged_out",
        "backing_queue_status",
    ]
}

/// The RabbitMQ management HTTP API (and the embedded broker's compatible one) as a source.
public struct ManagementSource: MonitorSource {
    public let endpoint: ManagementEndpoint
    public let options: ManagementOptions
    private let client: HTTPClient

    /// RabbitMQ gzips its responses, and lists of similar JSON objects shrink far more than the
    /// 25:1 ratio AsyncHTTPClient's shared client accepts (a busy /api/nodes failed with
    /// DecompressionError.limit), so this client bounds the decompressed size instead.
    public static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.decompression = .enabled(limit: .size(512 << 20))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(url: String, options: ManagementOptions = ManagementOptions(),
                client: HTTPClient = ManagementSource.httpClient) throws(MonitorError) {
        endpoint = try ManagementEndpoint(url: url)
        self.options = options
        self.client = client
    }

    public var description: String { "management \(endpoint)" }

    public func fetch() async throws -> BrokerState {
        // Sequential on purpose: concurrent requests would only add load on the broker's
        // management process, which is what is slow on a large broker.
        var state = BrokerState()
        state.overview = Overview(json: try await get(["overview"]))
        state.nodes = try await list(["nodes"]).compactMap(NodeInfo.init(json:))
        state.vhosts = try await list(["vhosts"]).compactMap(VhostInfo.init(json:))
        let scope = options.vhost.map { [$0] } ?? []
        state.queues = try await queues(scope: scope)
        state.exchanges = try await list(["exchanges"] + scope, query: statsQuery).compactMap(ExchangeInfo.init(json:))
        state.bindings = try await list(["bindings"] + scope).compactMap(BindingInfo.init(json:))
        if options.skipConnections {
            state.gaps.append("connections and consumers not fetched (skipped by option)")
        } else {
            state.consumers = try await list(["consumers"] + scope).compactMap(ConsumerInfo.init(json:))
            state.connections = try await list(["connections"]).compactMap(ConnectionInfo.init(json:))
        }
        if options.disableStats { state.gaps.append("statistics disabled: no API rates, no message states") }
        return state
    }

    /// One queue with every detail field (for the queue that is shown, not the whole list).
    public func queueDetail(_ id: QueueID) async throws -> QueueInfo {
        let json = try await get(["queues", id.vhost, id.name])
        guard let queue = QueueInfo(json: json) else { throw MonitorError.badResponse("queue \(id) has no name") }
        return queue
    }

    /// `DELETE /api/queues/{vhost}/{name}/contents`.
    public func purge(_ id: QueueID) async throws {
        _ = try await request(.DELETE, ["queues", id.vhost, id.name, "contents"])
    }

    /// `GET /api/queues/{vhost}/{name}/peek?count=N`: Warren's embedded broker only. Copies of the
    /// head messages, bodies in base64; the queue does not change at all.
    public func peek(_ id: QueueID, count: Int) async throws -> [JSON] {
        try await get(["queues", id.vhost, id.name, "peek"], query: [("count", String(count)), ("encoding", "base64")])
            .array ?? []
    }

    /// `DELETE /api/connections/{name}`: the broker closes that client connection.
    public func closeConnection(named name: String) async throws {
        _ = try await request(.DELETE, ["connections", name])
    }

    private var statsQuery: [(String, String)] {
        options.disableStats ? [("disable_stats", "true"), ("enable_queue_totals", "true")] : []
    }

    private func queues(scope: [String]) async throws -> [QueueInfo] {
        var query = statsQuery
        if let columns = options.queueColumns { query.append(("columns", columns.joined(separator: ","))) }
        guard let pageSize = options.pageSize else {
            return try await list(["queues"] + scope, query: query).compactMap(QueueInfo.init(json:))
        }
        var result: [QueueInfo] = []
        var seen: Set<QueueID> = []
        var page = 1
        while true {
            let json: JSON
            do {
                json = try await get(["queues"] + scope, query: query + [
                    ("page", String(page)), ("page_size", String(min(500, max(1, pageSize)))), ("pagination", "true"),
                ])
            } catch MonitorError.http(status: 400, _) where page > 1 {
                // Queues were deleted while paging and this page no longer exists.
                break
            }
            let items = json["items"]?.array ?? []
            // Queues created or deleted between pages shift the rest: drop repeats.
            for queue in items.compactMap(QueueInfo.init(json:)) where seen.insert(queue.id).inserted {
                result.append(queue)
            }
            let pageCount = json["page_count"]?.int ?? page
            if page >= pageCount || items.isEmpty { break }
            page += 1
        }
        return result
    }

    private func list(_ segments: [String], query: [(String, String)] = []) async throws -> [JSON] {
        let json = try await get(segments, query: query)
        guard let items = json.array ?? json["items"]?.array else {
            throw MonitorError.badResponse("api/\(segments.joined(separator: "/")) is not a list")
        }
        return items
    }

    func get(_ segments: [String], query: [(String, String)] = []) async throws -> JSON {
        let body = try await request(.GET, segments, query: query)
        do {
            return try JSON.parse(Data(body.readableBytesView))
        } catch {
            throw MonitorError.badResponse("api/\(segments.joined(separator: "/")) is not JSON")
        }
    }

    private func request(_ method: HTTPMethod, _ segments: [String], query: [(String, String)] = []) async throws
        -> ByteBuffer
    {
        var request = HTTPClientRequest(url: endpoint.url(segments, query: query))
        request.method = method
        request.headers.add(name: "Authorization", value: endpoint.authorization)
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: options.timeout)
            body = try await response.body.collect(upTo: 512 << 20)
        } catch {
            throw MonitorError.unreachable("\(endpoint.host):\(endpoint.port): \(Self.describe(error))")
        }
        switch response.status.code {
        case 200..<300:
            return body
        case 401:
            throw MonitorError.loginRefused("the management API at \(endpoint) refused user '\(endpoint.username)'")
        case 404:
            throw MonitorError.notFound(Self.notFoundText(segments))
        default:
            let reason = (try? JSON.parse(Data(body.readableBytesView)))?["reason"]?.text ?? response.status.reasonPhrase
            throw MonitorError.http(status: Int(response.status.code), detail: reason)
        }
    }

    private static func notFoundText(_ segments: [String]) -> String {
        switch segments.first {
        case "queues" where segments.count >= 3: return "no queue '\(segments[2])' in vhost '\(segments[1])'"
        case "exchanges" where segments.count >= 3: return "no exchange '\(segments[2])' in vhost '\(segments[1])'"
        case _ where segments.count == 2: return "no vhost '\(segments[1])'"
        default: return "not found: api/\(segments.joined(separator: "/"))"
        }
    }

    /// A short reason for a transport error (NIO's descriptions are long and nested).
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        for (needle, meaning) in [("refused", "connection refused"), ("connectTimeout", "connect timed out"),
                                  ("deadlineExceeded", "timed out"), ("readTimeout", "timed out"),
                                  ("remoteConnectionClosed", "connection closed by the server"),
                                  ("ssl", "TLS failed"), ("TLS", "TLS failed"),
                                  ("unknown host", "unknown host"), ("getaddrinfo", "unknown host"),
                                  ("Name or service not known", "unknown host")]
        where text.contains(needle) {
            return meaning
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
