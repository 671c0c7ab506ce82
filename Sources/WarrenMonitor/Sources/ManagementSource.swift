import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

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
    /// Statistics for every queue however many there are (no poll plan): what `--stats` asks.
    public var everyQueuesStatistics = false

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
        "backing_queue_status", "messages_persistent", "message_bytes_ready", "message_bytes_unacknowledged",
    ]
}

/// The RabbitMQ management HTTP API (and the embedded broker's compatible one) as a source.
public struct ManagementSource: MonitorSource {
    public let endpoint: ManagementEndpoint
    public let options: ManagementOptions
    let transport: any ManagementTransport
    /// Which broker answers, once learned (shared by copies of this source).
    private let learned = LearnedBroker()

    /// Without a transport, HTTP(S) with the system's trust store, or with only the CA of the
    /// URL's `cacertfile` when it has one.
    public init(url: String, options: ManagementOptions = ManagementOptions(),
                transport: (any ManagementTransport)? = nil) throws(MonitorError) {
        endpoint = try ManagementEndpoint(url: url)
        self.options = options
        if let transport {
            self.transport = transport
        } else if let caFile = endpoint.caFile {
            self.transport = try HTTPClientTransport.trusting(caFile: caFile)
        } else {
            self.transport = HTTPClientTransport.shared
        }
    }

    /// Which broker serves this API: asked of `/api/overview` the first time, then remembered
    /// (every poll reads the overview anyway and keeps it up to date).
    public func broker() async throws -> BrokerIdentity {
        if let known = learned.identity { return known }
        return learn(try await get(["overview"]))
    }

    /// Remembers the broker an overview names.
    @discardableResult
    func learn(_ overview: JSON) -> BrokerIdentity {
        let identity = BrokerIdentity(overview: overview)
        learned.identity = identity
        return identity
    }

    /// How the broker names what the model reads; RabbitMQ's until it is known.
    var dialect: ManagementDialect { learned.identity?.dialect ?? .rabbitmq }

    /// `names` (RabbitMQ's queue fields) as the broker's `columns=` value.
    func columns(_ names: [String]) -> String {
        names.map { dialect.queueField($0) }.joined(separator: ",")
    }

    public var description: String { "management \(endpoint)" }

    public func fetch() async throws -> BrokerState {
        try await fetch(focus: nil, previous: nil)
    }

    /// One poll. Sequential on purpose: concurrent requests would only add load on the broker's
    /// management process, which is what is slow on a large broker. A broker with fewer queues
    /// than ``PollPlan/largeBroker`` is read whole, statistics included; a larger one by the plan
    /// (ManagementSource+Plan.swift).
    public func fetch(focus: PollFocus?, previous: BrokerState?) async throws -> BrokerState {
        var state = BrokerState()
        var requests = 0
        let overview = try await get(["overview"], count: &requests)
        state.overview = Overview(json: learn(overview).dialect.adapt(overview, as: .overview))
        state.nodes = try await list(["nodes"], count: &requests).items
        state.vhosts = try await list(["vhosts"], count: &requests).items
        let plan = PollPlan()
        let totals = state.overview.objectTotals
        if plan.isLarge(queueCount: totals["queues"]) && !options.disableStats && !options.everyQueuesStatistics {
            try await fetchPlanned(into: &state, plan: plan, focus: focus, previous: previous, requests: &requests)
        } else {
            let scope = options.vhost.map { [$0] } ?? []
            state.queues = try await queues(scope: scope, count: &requests)
            try await fetchTopology(into: &state, statistics: true, count: &requests)
            try await fetchClients(into: &state, count: &requests)
        }
        if options.disableStats { state.gaps.append("statistics disabled: no API rates, no message states") }
        state.poll.requests = requests
        return state
    }

    /// Exchanges (with their rates unless `statistics` is false) and bindings. With
    /// `bindingsBySource`, up to that many exchanges are asked for their bindings one by one and
    /// the default exchange's implicit binding of every queue is left out (RabbitMQ makes one per
    /// queue, to the queue's own name: the queue list says them all).
    func fetchTopology(into state: inout BrokerState, statistics: Bool, bindingsBySource: Int = 0,
                       count: inout Int) async throws {
        let scope = options.vhost.map { [$0] } ?? []
        let query = statistics ? statsQuery : Self.noStatistics
        state.exchanges = try await list(["exchanges"] + scope, query: query, count: &count).items
        let named = state.exchanges.filter { !$0.name.isEmpty }
        guard named.count <= bindingsBySource else {
            state.bindings = try await list(["bindings"] + scope, count: &count).items
            return
        }
        var bindings: [BindingInfo] = []
        for exchange in named {
            do {
                bindings += try await list(["exchanges", exchange.vhost, exchange.name, "bindings", "source"],
                                           count: &count).items
            } catch MonitorError.notFound {
                // Deleted since the exchange list.
            }
        }
        state.bindings = bindings
    }

    /// The gap a poll with `skipConnections` notes: the caller asked for it, so need not show it.
    public static let skippedClientsGap = "connections and consumers not fetched (skipped by option)"

    /// Consumers and connections, unless the options skip them.
    func fetchClients(into state: inout BrokerState, count: inout Int) async throws {
        guard !options.skipConnections else {
            state.gaps.append(Self.skippedClientsGap)
            return
        }
        let scope = options.vhost.map { [$0] } ?? []
        state.consumers = try await list(["consumers"] + scope, count: &count).items
        state.connections = try await list(["connections"], count: &count).items
    }

    /// What routing needs in one virtual host, without statistics: exchanges, bindings and queue
    /// names (for a ``RoutePreview``).
    public func routingTopology(vhost: String) async throws -> (exchanges: [ExchangeInfo], bindings: [BindingInfo],
                                                                  queues: [QueueInfo]) {
        var count = 0
        let exchanges: [ExchangeInfo] = try await list(["exchanges", vhost], query: Self.noStatistics, count: &count).items
        let bindings: [BindingInfo] = try await list(["bindings", vhost], count: &count).items
        let queues: [QueueInfo] = try await list(["queues", vhost], query: Self.noStatistics + [("columns", "name,vhost")],
                                                 count: &count).items
        return (exchanges, bindings, queues)
    }

    /// One queue with every detail field (for the queue that is shown, not the whole list).
    public func queueDetail(_ id: QueueID) async throws -> QueueInfo {
        let dialect = try await broker().dialect
        let json = try await get(["queues", id.vhost, id.name])
        guard let queue = QueueInfo(json: json, dialect: dialect) else { throw MonitorError.badResponse("queue \(id) has no name") }
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
        options.disableStats ? Self.noStatistics : []
    }

    static let noStatistics = [("disable_stats", "true"), ("enable_queue_totals", "true")]

    private func queues(scope: [String], count: inout Int) async throws -> [QueueInfo] {
        var query = statsQuery
        if let columns = options.queueColumns { query.append(("columns", self.columns(columns))) }
        guard let pageSize = options.pageSize else {
            return try await list(["queues"] + scope, query: query, count: &count).items
        }
        return try await pagedQueues(scope: scope, query: query, pageSize: pageSize, count: &count)
    }

    /// Every page of a queue listing.
    func pagedQueues(scope: [String], query: [(String, String)], pageSize: Int, count: inout Int) async throws
        -> [QueueInfo]
    {
        var result: [QueueInfo] = []
        var seen: Set<QueueID> = []
        var page = 1
        while true {
            let list: ResourceList<QueueInfo>
            do {
                list = try await self.list(["queues"] + scope, query: query + [
                    ("page", String(page)), ("page_size", String(min(PollPlan.maximumPageSize, max(1, pageSize)))),
                    ("pagination", "true"),
                ], count: &count)
            } catch MonitorError.http(status: 400, _) where page > 1 {
                // Queues were deleted while paging and this page no longer exists.
                break
            }
            // Queues created or deleted between pages shift the rest: drop repeats.
            for queue in list.items where seen.insert(queue.id).inserted {
                result.append(queue)
            }
            if page >= (list.pageCount ?? page) || list.items.isEmpty { break }
            page += 1
        }
        return result
    }

    /// A list resource, decoded straight into its models (see ``ResourceList``).
    func list<Resource: ManagementResource>(
        _ segments: [String], query: [(String, String)] = [], count: inout Int, timeout: TimeAmount? = nil
    ) async throws -> ResourceList<Resource> {
        count += 1
        let body = try await request(.GET, segments, query: query, timeout: timeout)
        let what = "api/\(segments.joined(separator: "/"))"
        do {
            return try ResourceList<Resource>.decode(Data(body.readableBytesView), dialect: dialect)
        } catch let failure as JSONParser.Failure {
            throw failure.reason == "not a list"
                ? MonitorError.badResponse("\(what) is not a list") : MonitorError.badResponse("\(what) is not JSON")
        }
    }

    func get(_ segments: [String], query: [(String, String)] = [], count: inout Int) async throws -> JSON {
        count += 1
        return try await get(segments, query: query)
    }

    func get(_ segments: [String], query: [(String, String)] = []) async throws -> JSON {
        let body = try await request(.GET, segments, query: query)
        do {
            return try JSON.parse(Data(body.readableBytesView))
        } catch {
            throw MonitorError.badResponse("api/\(segments.joined(separator: "/")) is not JSON")
        }
    }

    private func request(
        _ method: HTTPMethod, _ segments: [String], query: [(String, String)] = [], timeout: TimeAmount? = nil
    ) async throws
        -> ByteBuffer
    {
        let request = ManagementRequest(method: method, url: endpoint.url(segments, query: query),
                                        authorization: endpoint.authorization)
        let response: ManagementResponse
        do {
            response = try await transport.send(request, timeout: timeout ?? options.timeout)
        } catch {
            throw MonitorError.unreachable("\(endpoint.host):\(endpoint.port): \(Self.describe(error))")
        }
        let body = response.body
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
                                  ("CERTIFICATE_VERIFY_FAILED",
                                   "TLS failed: the server's certificate is not trusted (a private CA goes in the URL: ?cacertfile=FILE)"),
                                  ("ssl", "TLS failed"), ("TLS", "TLS failed"),
                                  ("unknown host", "unknown host"), ("getaddrinfo", "unknown host"),
                                  ("Name or service not known", "unknown host")]
        where text.contains(needle) {
            return meaning
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// What a ``ManagementSource`` learned of its broker.
private final class LearnedBroker: Sendable {
    private let value = Mutex<BrokerIdentity?>(nil)

    var identity: BrokerIdentity? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
