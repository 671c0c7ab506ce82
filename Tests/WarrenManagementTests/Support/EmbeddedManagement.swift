import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient
import WarrenManagement
import WarrenWire

/// An embedded broker with its management API on free loopback ports, sampling statistics
/// every 200 ms so rates appear quickly.
struct EmbeddedManagement: Sendable {
    let broker: Broker
    let server: ManagementServer

    var port: Int { server.port }
    var amqpURL: String { "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/" }

    static func with<T>(
        _ configuration: BrokerConfiguration = BrokerConfiguration(amqpPort: 0),
        _ body: (EmbeddedManagement) async throws -> T
    ) async throws -> T {
        let broker = try await Broker.start(configuration)
        let server: ManagementServer
        do {
            server = try await ManagementServer.start(broker: broker, port: 0, sampleInterval: 0.2)
        } catch {
            try? await broker.shutdown()
            throw error
        }
        let management = EmbeddedManagement(broker: broker, server: server)
        do {
            let result = try await body(management)
            await server.shutdown()
            try await broker.shutdown()
            return result
        } catch {
            await server.shutdown()
            try? await broker.shutdown()
            throw error
        }
    }

    func request(_ method: String, _ path: String, body: String? = nil) async throws -> HTTPResult {
        try await HTTP.request(port: port, method, path, body: body)
    }

    /// GET, expecting 200, parsed.
    func get(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Any {
        let result = try await request("GET", path)
        #expect(result.status == 200, "GET \(path): \(result.status) \(result.body)", sourceLocation: sourceLocation)
        return try result.json()
    }

    func object(_ path: String) async throws -> [String: Any] {
        try #require(try await get(path) as? [String: Any])
    }

    func list(_ path: String) async throws -> [[String: Any]] {
        try #require(try await get(path) as? [[String: Any]])
    }

    /// Polls until `condition` holds for the object at GET `path` (statistics are sampled).
    func eventually(
        _ path: String, timeout: Double = 10, _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let result = try await request("GET", path)
            let object = (try? result.json()) as? [String: Any] ?? [:]
            if condition(object) { return object }
            if Date() > deadline {
                Issue.record("timed out waiting on \(path); last: \(result.body)")
                return object
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}

/// A topology with something of every kind in it, for shape tests: a classic queue with ready
/// and unacked messages and a consumer, a quorum queue, a DLQ, exchange-to-exchange and
/// queue bindings, publishes through a topic exchange.
struct Traffic {
    let connection: AMQPConnection
    let channel: AMQPChannel
    let consumer: AMQPConsumer

    static func start(_ url: String) async throws -> Traffic {
        let connection = try await AMQPConnection.connect(to: url)
        let ch = try await connection.openChannel()
        try await ch.exchangeDeclare("shape.topic", type: "topic", durable: true)
        try await ch.exchangeDeclare("shape.fanout", type: "fanout")
        try await ch.exchangeDeclare("shape.dlx", type: "fanout")
        try await ch.queueDeclare("shape.dlq", durable: true)
        try await ch.queueDeclare("shape.orders", durable: true, arguments: ["x-dead-letter-exchange": "shape.dlx"])
        try await ch.queueDeclare("shape.quorum", durable: true, arguments: ["x-queue-type": "quorum"])
        try await ch.queueDeclare("shape.idle", durable: false)
        try await ch.queueBind("shape.dlq", exchange: "shape.dlx")
        try await ch.queueBind("shape.orders", exchange: "shape.topic", routingKey: "orders.#")
        try await ch.queueBind("shape.quorum", exchange: "shape.fanout")
        try await ch.exchangeBind(destination: "shape.fanout", source: "shape.topic", routingKey: "orders.eu")
        for n in 0..<20 {
            try await ch.publish(ByteBuffer(string: "order \(n)"), exchange: "shape.topic", routingKey: "orders.eu",
                                 properties: BasicProperties(deliveryMode: 2, timestamp: 1_795_585_282))
        }
        for n in 0..<3 {
            try await ch.publish(ByteBuffer(string: "dead \(n)"), routingKey: "shape.dlq")
        }
        _ = try await ch.get("shape.orders", noAck: true)
        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.qos(prefetchCount: 5)
        let consumer = try await consumerChannel.consume("shape.orders", consumerTag: "shape-worker")
        return Traffic(connection: connection, channel: ch, consumer: consumer)
    }

    func stop() async {
        try? await connection.close()
    }
}
