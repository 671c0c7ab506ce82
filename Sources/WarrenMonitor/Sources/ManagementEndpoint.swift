import Foundation

/// Where a management HTTP API is and how to log in: parsed from a URL such as
/// `http://user:password@host:15672/` (credentials default to guest:guest, as RabbitMQ's tools do).
/// An https URL may name the CA to trust instead of the system's, as amqps URLs do:
/// `https://user:password@host:15671/?cacertfile=/path/ca.pem`.
public struct ManagementEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Scheme, host, port and path prefix, ending in `/`, without credentials.
    public var baseURL: String
    public var username: String
    public var password: String
    public var host: String
    public var port: Int
    /// The PEM file of the CA that signed the server's certificate (`cacertfile`).
    public var caFile: String?

    public init(url: String) throws(MonitorError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw .badURL(url, reason: "not a URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .badURL(Self.redacted(url), reason: "the management URL must start with http:// or https://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .badURL(Self.redacted(url), reason: "no host")
        }
        self.host = host
        port = components.port ?? (scheme == "https" ? 443 : 15672)
        username = components.user?.removingPercentEncoding ?? "guest"
        password = components.password?.removingPercentEncoding ?? "guest"
        var path = components.path
        if path.hasSuffix("/api") || path.hasSuffix("/api/") { path = String(path.prefix(upTo: path.range(of: "/api", options: .backwards)!.lowerBound)) }
        if !path.hasSuffix("/") { path += "/" }
        for item in components.queryItems ?? [] {
            guard item.name == "cacertfile" else {
                throw .badURL(Self.redacted(url), reason: "unknown query parameter '\(item.name)' (only cacertfile is known)")
            }
            guard scheme == "https", let value = item.value, !value.isEmpty else {
                throw .badURL(Self.redacted(url), reason: "cacertfile needs an https URL and a file")
            }
            caFile = value
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        baseURL = "\(scheme)://\(hostPart):\(port)\(path)"
    }

    public var description: String { baseURL }

    /// `Authorization: Basic ...`
    var authorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// The URL of `api/<path>` with percent-encoded path segments and a query.
    func url(_ segments: [String], query: [(String, String)] = []) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/%?#")
        let path = segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
        var url = baseURL + "api/" + path
        if !query.isEmpty {
            var queryAllowed = CharacterSet.urlQueryAllowed
            queryAllowed.remove(charactersIn: "&=+")
            url += "?" + query.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? $1)" }
                .joined(separator: "&")
        }
        return url
    }

    /// A URL with its password replaced, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
