import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WarrenBroker

/// Every request: basic auth against the broker's users, the path split and percent-decoded
/// (so `%2F` is the vhost `/`), dispatch, and errors as RabbitMQ's JSON error body. Nothing a
/// client sends makes it throw: every failure becomes a status and a reason.
struct ManagementRouter: HTTPResponder {
    typealias Context = ManagementRequestContext

    let api: ManagementAPI
    let metrics: PrometheusMetrics
    /// Request bodies above this are refused (definitions of many thousand queues fit).
    static let maximumBodySize = 64 << 20

    init(broker: Broker, sampler: StatsSampler) {
        api = ManagementAPI(broker: broker, sampler: sampler)
        metrics = PrometheusMetrics(api: api)
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let path = request.uri.path
        // Like rabbitmq_prometheus, metrics need no login.
        if path == "/metrics" || path == "/metrics/" { return Self.text(await metrics.render()) }
        if path == "/metrics/per-object" { return Self.text(await metrics.renderPerObject()) }
        guard path == "/api" || path.hasPrefix("/api/") else { return Self.json(RequestError.notFound) }
        let credentials = request.headers[.authorization]
        let login = await authenticate(credentials, fromLoopback: context.peerIsLoopback)
        guard let user = login, user.isManagementUser else {
            // The same answer for a user that does not exist and a wrong password; only a user
            // who proved their password learns that their tags keep them out.
            var response = credentials == nil ? Response(status: .unauthorized)
                : Self.json(login == nil ? RequestError.unauthorised : ManagementAPI.notAuthorised("Not management user"))
            response.headers[.wwwAuthenticate] = "Basic realm=\"RabbitMQ Management\""
            return response
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBodySize)
        } catch {
            return Self.json(RequestError(status: 413, error: "bad_request", reason: "request body too large"))
        }
        guard let components = Self.components(path.dropFirst("/api/".count)) else {
            return Self.json(RequestError.badRequest("bad percent-encoding in the path"))
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let apiRequest = APIRequest(method: request.method.rawValue, path: components, query: query, body: body,
                                    user: user)
        do {
            let response = try await api.handle(apiRequest)
            var http = Response(status: .init(code: response.status))
            if let json = response.json {
                http = Self.json(json, status: response.status)
            }
            if request.method == .head { http.body = ResponseBody() }
            return http
        } catch {
            return Self.json(error)
        }
    }

    /// The path after `/api/`, split at `/` and percent-decoded (`%2F` is the vhost `/`); nil when
    /// a part's percent-encoding is broken.
    static func components(_ path: Substring) -> [String]? {
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = String(part).removingPercentEncoding else { return nil }
            components.append(decoded)
        }
        if components.last == "" { components.removeLast() }
        return components
    }

    private func authenticate(_ header: String?, fromLoopback: Bool) async -> BrokerConfiguration.User? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic ",
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let user = await api.broker.authenticate(user: String(text[..<colon]),
                                                 password: String(text[text.index(after: colon)...]))
        guard let user else { return nil }
        // RabbitMQ's loopback_users (guest) apply to the management API too.
        guard !user.loopbackOnly || fromLoopback else { return nil }
        return user
    }

    static func json(_ error: RequestError) -> Response {
        json(error.body, status: error.status)
    }

    static func json(_ value: JSON, status: Int = 200) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: value.encoded()))
    }

    static func text(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Hummingbird's basic context plus whether the client connected over loopback.
struct ManagementRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerIsLoopback: Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let ip = source.channel.remoteAddress?.ipAddress ?? ""
        peerIsLoopback = ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
