import NIOCore
import NIOSSL

/// Parses AMQP URIs as RabbitMQ's URI spec and its clients read them:
/// `amqp[s]://[user[:password]@]host[:port][/vhost][?key=value&...]`.
///
/// User, password and vhost are percent-decoded (`%2F` is `/`). An absent or empty vhost means
/// the default vhost `/`, as the Go, Java and Python clients treat it. Query keys: `heartbeat`
/// (seconds), `frame_max`, `channel_max`, `connection_timeout` (milliseconds), `auth_mechanism`
/// (`plain` or `amqplain`), `connection_name`, and for amqps `cacertfile`, `certfile`, `keyfile`,
/// `verify` (`verify_peer` or `verify_none`) and `server_name_indication`.
public enum AMQPURL {
    public static let queryKeys = [
        "heartbeat", "frame_max", "channel_max", "connection_timeout", "auth_mechanism", "connection_name",
        "cacertfile", "certfile", "keyfile", "verify", "server_name_indication",
    ]

    public static func parse(_ url: String) throws(AMQPClientError) -> AMQPConnectionConfiguration {
        func bad(_ reason: String) -> AMQPClientError { .invalidURL(url: redact(url), reason: reason) }
        guard let schemeEnd = url.firstRange(of: "://") else { throw bad("expected amqp:// or amqps://") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "amqp" || scheme == "amqps" else { throw bad("unknown scheme '\(scheme)'") }
        var rest = Substring(url[schemeEnd.upperBound...])

        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var config = AMQPConnectionConfiguration(host: "localhost")
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                config.username = try decode(userInfo[..<colon], url: url)
                config.password = try decode(userInfo[userInfo.index(after: colon)...], url: url, what: "the password")
            } else {
                config.username = try decode(userInfo, url: url)
            }
        }
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
            config.host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw bad("junk after host") }
        } else if let colon = rest.lastIndex(of: ":") {
            config.host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            config.host = String(rest)
        }
        if config.host.isEmpty { config.host = "localhost" }
        let tls = scheme == "amqps"
        config.port = tls ? 5671 : 5672
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw bad("invalid port '\(portText)'") }
            config.port = port
        }
        if let path, !path.isEmpty {
            config.virtualHost = try decode(path, url: url)
        }

        var tlsConfig = TLSConfiguration.makeClientConfiguration()
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? try decode(parts[1], url: url) : ""
            func number<T: FixedWidthInteger>(_: T.Type) throws(AMQPClientError) -> T {
                guard let n = T(value) else { throw bad("\(key) must be a whole number, got '\(value)'") }
                return n
            }
            switch key {
            case "heartbeat": config.heartbeat = try number(UInt16.self)
            case "frame_max":
                config.frameMax = try number(UInt32.self)
                if config.frameMax != 0 && config.frameMax < FrameConstants.minimumFrameMax {
                    throw bad("frame_max must be 0 or at least \(FrameConstants.minimumFrameMax)")
                }
            case "channel_max": config.channelMax = try number(UInt16.self)
            case "connection_timeout": config.connectionTimeout = .milliseconds(Int64(try number(UInt32.self)))
            case "auth_mechanism":
                guard let mechanism = AMQPConnectionConfiguration.AuthenticationMechanism(rawValue: value.uppercased())
                else { throw bad("auth_mechanism must be plain or amqplain") }
                config.authenticationMechanism = mechanism
            case "connection_name": config.connectionName = value
            case "cacertfile": tlsConfig.trustRoots = .file(value)
            case "certfile": tlsConfig.certificateChain = try certificates(value, url: url).map { .certificate($0) }
            case "keyfile":
                do {
                    tlsConfig.privateKey = .privateKey(try NIOSSLPrivateKey(file: value, format: .pem))
                } catch {
                    throw bad("cannot read keyfile '\(value)': \(error)")
                }
            case "verify":
                switch value {
                case "verify_peer": tlsConfig.certificateVerification = .fullVerification
                case "verify_none": tlsConfig.certificateVerification = .none
                default: throw bad("verify must be verify_peer or verify_none")
                }
            case "server_name_indication": config.tlsServerName = value
            default:
                throw bad("unknown query key '\(key)' (known: \(queryKeys.joined(separator: ", ")))")
            }
        }
        if tls { config.tls = tlsConfig }
        return config
    }

    private static func certificates(_ path: String, url: String) throws(AMQPClientError) -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .invalidURL(url: redact(url), reason: "cannot read certfile '\(path)': \(error)")
        }
    }

    /// `what` names the part in error reasons instead of quoting it (so a password is never shown).
    static func decode(_ text: Substring, url: String, what: String? = nil) throws(AMQPClientError) -> String {
        let part = what ?? "'\(text)'"
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .invalidURL(url: redact(url), reason: "bad percent-encoding in \(part)")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .invalidURL(url: redact(url), reason: "percent-encoding in \(part) is not UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The URL with any password replaced, so errors never print a secret.
    static func redact(_ url: String) -> String {
        let afterScheme = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

extension AMQPConnectionConfiguration {
    /// A configuration from an AMQP URI; see ``AMQPURL``.
    public init(url: String) throws(AMQPClientError) {
        self = try AMQPURL.parse(url)
    }
}
