import Foundation
import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 client for tests: one request per connection (Connection: close), the
/// raw status, headers and body back. Raw so that tests can send anything, malformed included.
struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
    }
}

enum HTTP {
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static func request(
        port: Int, _ method: String, _ path: String, body: String? = nil, auth: String? = basic("guest", "guest")
    ) async throws -> HTTPResult {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let auth { head += "Authorization: \(auth)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        let raw = try await exchange(port: port, bytes: Array((head + "\r\n" + (body ?? "")).utf8))
        return try parse(raw)
    }

    /// Sends bytes as they are and reads until the server closes the connection; `halfClose`
    /// then ends the sending side, so a server waiting for the rest of a truncated request sees
    /// the end (Cowboy drops a request whose sender half-closed, so only for garbage).
    static func exchange(port: Int, bytes: [UInt8], halfClose: Bool = false) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            if halfClose { outbound.finish() }
            var received: [UInt8] = []
            for try await chunk in inbound { received += chunk.readableBytesView }
            return received
        }
    }

    static func parse(_ raw: [UInt8]) throws -> HTTPResult {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HTTPTestError.malformed(text) }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
            let status = Int(statusLine.split(separator: " ")[1])
        else { throw HTTPTestError.malformed(text) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var result = ""
        while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
            let start = end.upperBound
            let utf8 = rest[start...].utf8
            let stop = utf8.index(utf8.startIndex, offsetBy: size)
            result += String(rest[start..<stop])
            rest = rest[stop...].dropFirst(2)
        }
        return result
    }
}

enum HTTPTestError: Error {
    case malformed(String)
}
