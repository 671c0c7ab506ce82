import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient

/// One broker of an access scenario: its AMQP port and management port, changed as guest, an
/// administrator on both.
struct AccessSide: Sendable {
    let amqpPort: Int
    let managementPort: Int

    func amqpURL(_ user: String, _ password: String) -> String {
        "amqp://\(user):\(password)@127.0.0.1:\(amqpPort)/"
    }

    /// Runs `scenario` on the shared RabbitMQ node, then on a fresh embedded broker with its
    /// management API; each run gets a suffix of its own for every name it creates.
    static func both(
        _ scenario: @Sendable (AccessSide, String) async throws -> [String]
    ) async throws -> (rabbitmq: [String], warren: [String]) {
        let amqpPort = try #require(RabbitNode.url.flatMap { URLComponents(string: $0)?.port })
        let rabbit = AccessSide(amqpPort: amqpPort, managementPort: try #require(RabbitNode.managementPort))
        let rabbitLines = try await scenario(rabbit, Self.suffix())
        let warrenLines = try await EmbeddedManagement.with { m in
            try await scenario(AccessSide(amqpPort: m.broker.amqpPort, managementPort: m.port), Self.suffix())
        }
        return (rabbitLines, warrenLines)
    }

    static func suffix() -> String { "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    func request(
        _ method: String, _ path: String, body: String? = nil, as user: String = "guest", password: String = "guest"
    ) async throws -> HTTPResult {
        try await HTTP.request(port: managementPort, method, path, body: body, auth: HTTP.basic(user, password))
    }

    /// An administrator's request that must succeed; returns the body as canonical JSON.
    func adminJSON(_ method: String, _ path: String, body: String? = nil) async throws -> String {
        let result = try await request(method, path, body: body)
        #expect((200..<300).contains(result.status), "\(method) \(path): \(result.status) \(result.body)")
        return AccessTranscript.canonical(result.body)
    }

    func createUser(_ name: String, tags: String, password: String = "pw") async throws {
        _ = try await adminJSON("PUT", "/api/users/\(name)", body: #"{"password":"\#(password)","tags":"\#(tags)"}"#)
    }

    func setPermissions(_ user: String, configure: String, write: String, read: String) async throws {
        let body = try Self.json(["configure": configure, "write": write, "read": read])
        _ = try await adminJSON("PUT", "/api/permissions/%2F/\(user)", body: body)
    }

    func setTopicPermissions(_ user: String, exchange: String, write: String, read: String) async throws {
        let body = try Self.json(["exchange": exchange, "write": write, "read": read])
        _ = try await adminJSON("PUT", "/api/topic-permissions/%2F/\(user)", body: body)
    }

    func deleteUsers(_ names: [String]) async throws {
        for name in names { _ = try await request("DELETE", "/api/users/\(name)") }
    }

    /// Deletes what a scenario left, each on a channel of its own (a refusal closes one).
    func cleanup(_ admin: AMQPConnection, queues: [String], exchanges: [String]) async throws {
        for queue in queues {
            let ch = try await admin.openChannel()
            try? await ch.queueDelete(queue)
        }
        for exchange in exchanges {
            let ch = try await admin.openChannel()
            try? await ch.exchangeDelete(exchange)
        }
    }

    static func json(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// What an access scenario observed, with the run's suffix and server-chosen names replaced so
/// that both brokers' lines compare equal.
struct AccessTranscript: Sendable {
    let suffix: String
    private(set) var lines: [String] = []

    init(suffix: String) {
        self.suffix = suffix
    }

    mutating func record(_ line: String) {
        var line = line.replacingOccurrences(of: suffix, with: "<s>")
        line = line.replacingOccurrences(of: #"amq\.gen-[A-Za-z0-9_-]{22}"#, with: "amq.gen-<name>",
                                         options: .regularExpression)
        lines.append(line)
    }

    /// Runs `body`; records "ok" or the broker's refusal (code, text, and which close).
    mutating func attempt(_ label: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            record("\(label): ok")
        } catch let error as AMQPClientError {
            record("\(label): \(Self.describe(error))")
        } catch {
            record("\(label): unexpected \(error)")
        }
    }

    /// Runs `step` on a new channel of `connection`.
    mutating func attempt(
        _ label: String, on connection: AMQPConnection, _ step: (AMQPChannel) async throws -> Void
    ) async {
        do {
            let channel = try await connection.openChannel()
            do {
                try await step(channel)
                record("\(label): ok")
            } catch AMQPClientError.channelClosed where channel.closedError != nil {
                // A request sent while the broker's channel.close was on its way.
                record("\(label): \(Self.describe(channel.closedError!))")
            }
            if channel.isOpen { try? await channel.close() }
        } catch let error as AMQPClientError {
            record("\(label): \(Self.describe(error))")
        } catch {
            record("\(label): unexpected \(error)")
        }
    }

    /// An HTTP answer: the status and the body as canonical JSON.
    mutating func record(_ label: String, _ result: HTTPResult) {
        record("\(label): \(result.status) \(Self.canonical(result.body))")
    }

    static func describe(_ error: AMQPClientError) -> String {
        switch error {
        case .channelClosedByServer(let r): "channel.close \(r.replyCode) \(r.replyText) [\(r.classID).\(r.methodID)]"
        case .connectionClosedByServer(let r): "connection.close \(r.replyCode) \(r.replyText) [\(r.classID).\(r.methodID)]"
        case .authenticationFailed(let r): "login refused \(r.replyCode) \(r.replyText)"
        default: "\(error)"
        }
    }

    /// The two transcripts must be equal; on failure the lines that differ are listed.
    static func expectSame(
        _ results: (rabbitmq: [String], warren: [String]), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let (a, b) = results
        var differences: [String] = []
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : "(none)"
            let right = index < b.count ? b[index] : "(none)"
            if left != right { differences.append("RabbitMQ: \(left)\nWarren:   \(right)") }
        }
        let report = "\(differences.count) lines differ:\n" + differences.joined(separator: "\n")
        #expect(differences.isEmpty, Comment(rawValue: report), sourceLocation: sourceLocation)
    }

    /// JSON with sorted keys, so that key order (which differs between the two) does not count.
    static func canonical(_ body: String) -> String {
        guard !body.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return body }
        return String(decoding: data, as: UTF8.self)
    }
}
