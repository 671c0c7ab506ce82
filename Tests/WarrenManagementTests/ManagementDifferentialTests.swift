import Foundation
import NIOCore
import Testing
import WarrenClient

extension ManagementTests {
    /// The same topology and traffic on the RabbitMQ node scripts/test starts and on the embedded
    /// broker; then /api/queues on both: the same keys on every queue object and the same counts.
    /// RabbitMQ refreshes its statistics every 5 s, so both are polled until the counts are what the
    /// traffic implies (or a timeout), never slept on blindly.
    @Suite(.enabled(if: RabbitNode.isAvailable,
                    "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
    struct ManagementDifferentialTests {
        static let rabbitURL = RabbitNode.url
        static let rabbitManagementPort = RabbitNode.managementPort

        /// Keys only one side has, on purpose: Erlang process internals RabbitMQ reports, and
        /// idle_since, which depends on when each side last sampled.
        static let allowedDifferences: Set<String> = ["garbage_collection", "reductions", "reductions_details", "idle_since"]
        static let countKeys = ["messages", "messages_ready", "messages_unacknowledged", "consumers"]
        static let statKeys = ["publish", "get", "ack", "deliver", "deliver_get", "deliver_no_ack", "redeliver"]

        /// What each queue must show once the traffic below is done: messages, ready, unacked, consumers.
        static let expected: [String: [Int]] = [
            "diff-mgmt-work": [19, 15, 4, 1], "diff-mgmt-capped": [5, 5, 0, 0], "diff-mgmt-quorum": [7, 7, 0, 0],
            "diff-mgmt-empty": [0, 0, 0, 0],
        ]

        /// Declares, publishes, fetches and consumes; returns the connection, which must stay open
        /// (it holds the unacked messages and the consumer).
        static func traffic(_ url: String, suffix s: String) async throws -> AMQPConnection {
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            try await ch.exchangeDeclare("diff-mgmt-topic\(s)", type: "topic")
            try await ch.queueDeclare("diff-mgmt-work\(s)", durable: true)
            try await ch.queueDeclare("diff-mgmt-capped\(s)", arguments: ["x-max-length": .int32(5)])
            try await ch.queueDeclare("diff-mgmt-quorum\(s)", durable: true, arguments: ["x-queue-type": "quorum"])
            try await ch.queueDeclare("diff-mgmt-empty\(s)")
            try await ch.queueBind("diff-mgmt-work\(s)", exchange: "diff-mgmt-topic\(s)", routingKey: "work.#")
            for n in 0..<20 {
                try await ch.publish(ByteBuffer(string: "w\(n)"), exchange: "diff-mgmt-topic\(s)", routingKey: "work.x",
                                     properties: BasicProperties(deliveryMode: 2))
            }
            for n in 0..<10 { try await ch.publish(ByteBuffer(string: "c\(n)"), routingKey: "diff-mgmt-capped\(s)") }
            for n in 0..<7 { try await ch.publish(ByteBuffer(string: "q\(n)"), routingKey: "diff-mgmt-quorum\(s)") }
            let first = try #require(try await ch.get("diff-mgmt-work\(s)"))
            try await ch.ack(deliveryTag: first.message.deliveryTag)
            _ = try #require(try await ch.get("diff-mgmt-work\(s)"))
            let consumerChannel = try await connection.openChannel()
            try await consumerChannel.qos(prefetchCount: 3)
            _ = try await consumerChannel.consume("diff-mgmt-work\(s)")
            return connection
        }

        /// Polls GET /api/queues/%2F/NAME until the counts are as expected and, for RabbitMQ, the
        /// message_stats have caught up; returns the queue objects by name (suffix removed).
        static func settled(port: Int, suffix s: String) async throws -> [String: [String: Any]] {
            let deadline = Date().addingTimeInterval(40)
            var result: [String: [String: Any]] = [:]
            for (name, counts) in expected.sorted(by: { $0.key < $1.key }) {
                while true {
                    let response = try await HTTP.request(port: port, "GET", "/api/queues/%2F/\(name)\(s)")
                    let queue = (try? response.json()) as? [String: Any] ?? [:]
                    let seen = countKeys.map { queue[$0] as? Int ?? -1 }
                    let published = (queue["message_stats"] as? [String: Any])?["publish"] as? Int
                    if seen == counts && (counts[0] == 0 || published != nil) {
                        result[name] = queue
                        break
                    }
                    if Date() > deadline {
                        Issue.record("port \(port): \(name) never settled at \(counts); last \(seen)")
                        result[name] = queue
                        break
                    }
                    try await Task.sleep(nanoseconds: 250_000_000)
                }
            }
            return result
        }

        @Test func queuesListTheSameKeysAndCounts() async throws {
            let rabbitPort = try #require(Self.rabbitManagementPort)
            let s = "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let rabbitConnection = try await Self.traffic(try #require(Self.rabbitURL), suffix: s)
            let rabbit: [String: [String: Any]]
            do {
                rabbit = try await Self.settled(port: rabbitPort, suffix: s)
            } catch {
                await Self.cleanUp(port: rabbitPort, suffix: s, rabbitConnection)
                throw error
            }
            let rabbitListed = try await HTTP.request(port: rabbitPort, "GET", "/api/queues/%2F?name=diff-mgmt")
            await Self.cleanUp(port: rabbitPort, suffix: s, rabbitConnection)

            try await EmbeddedManagement.with { m in
                let connection = try await Self.traffic(m.amqpURL, suffix: s)
                let warren = try await Self.settled(port: m.port, suffix: s)
                let warrenListed = try await m.request("GET", "/api/queues/%2F?name=diff-mgmt")
                try await connection.close()

                #expect(Self.names(rabbitListed, suffix: s) == Self.names(warrenListed, suffix: s))
                // The listing's objects (no detail-only keys) have the same keys too.
                let rabbitItems = Self.items(rabbitListed, suffix: s), warrenItems = Self.items(warrenListed, suffix: s)
                for (name, keys) in rabbitItems {
                    let ours = warrenItems[name] ?? []
                    let onlyRabbit = keys.subtracting(ours).subtracting(Self.allowedDifferences)
                    let onlyWarren = ours.subtracting(keys).subtracting(Self.allowedDifferences)
                    #expect(onlyRabbit.isEmpty && onlyWarren.isEmpty,
                            "listed \(name): only RabbitMQ \(onlyRabbit.sorted()), only Warren \(onlyWarren.sorted())")
                }
                for name in Self.expected.keys.sorted() {
                    let r = try #require(rabbit[name]), w = try #require(warren[name])
                    let onlyRabbit = Set(r.keys).subtracting(w.keys).subtracting(Self.allowedDifferences)
                    let onlyWarren = Set(w.keys).subtracting(r.keys).subtracting(Self.allowedDifferences)
                    #expect(onlyRabbit.isEmpty, "\(name): keys only RabbitMQ has: \(onlyRabbit.sorted())")
                    #expect(onlyWarren.isEmpty, "\(name): keys only Warren has: \(onlyWarren.sorted())")
                    for key in Self.countKeys {
                        #expect(r[key] as? Int == w[key] as? Int, "\(name).\(key): RabbitMQ \(r[key] ?? "-"), Warren \(w[key] ?? "-")")
                    }
                    let rs = r["message_stats"] as? [String: Any] ?? [:], ws = w["message_stats"] as? [String: Any] ?? [:]
                    for key in Self.statKeys where rs[key] != nil {
                        #expect(rs[key] as? Int == ws[key] as? Int,
                                "\(name).message_stats.\(key): RabbitMQ \(rs[key] ?? "-"), Warren \(ws[key] ?? "-")")
                    }
                }
            }
        }

        /// This run's queues in listing order (the shared node may hold other runs' queues).
        static func names(_ result: HTTPResult, suffix: String) -> [String] {
            ((try? result.json()) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                .filter { $0.hasSuffix(suffix) }
        }

        /// The key set of each of this run's queues in a listing, by name without the suffix.
    static func items(_ result: HTTPResult, suffix: String) -> [String: Set<String>] {
        var byName: [String: Set<String>] = [:]
        for item in (try? result.json()) as? [[String: Any]] ?? [] {
            guard let name = item["name"] as? String, name.hasSuffix(suffix) else { continue }
            byName[String(name.dropLast(suffix.count))] = Set(item.keys)
        }
        return byName
    }

    static func cleanUp(port: Int, suffix s: String, _ connection: AMQPConnection) async {
            try? await connection.close()
            for name in expected.keys { _ = try? await HTTP.request(port: port, "DELETE", "/api/queues/%2F/\(name)\(s)") }
            _ = try? await HTTP.request(port: port, "DELETE", "/api/exchanges/%2F/diff-mgmt-topic\(s)")
        }
    }
}

/// The RabbitMQ node scripts/test starts, from its environment variables.
enum RabbitNode {
    static let url = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"]
    static let managementPort: Int? = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_MANAGEMENT_URL"]
        .flatMap { URLComponents(string: $0)?.port }
    static let isAvailable = url != nil && managementPort != nil
}
