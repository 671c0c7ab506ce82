import Foundation
import NIOCore
import WarrenClient
import WarrenWire

/// The demo's traffic: producers and consumers that between them show routing of every exchange
/// type, ack/nack/reject, poison messages, manual retries, TTL and overflow dead-lettering, a
/// growing backlog and a quorum queue's delivery limit.
final class DemoWorkload: Sendable {
    private let connections: [AMQPConnection]
    private let tasks: [Task<Void, Never>]

    private init(connections: [AMQPConnection], tasks: [Task<Void, Never>]) {
        self.connections = connections
        self.tasks = tasks
    }

    /// Messages published to reports.backlog before the producer stops feeding it.
    static let backlogLimit = 60_000
    /// Messages per 100 ms tick to reports.backlog: 800 a second of 1 KiB, half of them persistent.
    static let backlogPerTick = 80

    /// Declares the topology and starts the traffic.
    static func start(amqpURL: String) async throws -> DemoWorkload {
        let producer = try await AMQPConnection.connect(to: amqpURL)
        let consumers = try await AMQPConnection.connect(to: amqpURL)
        let setup = try await producer.openChannel()
        try await DemoTopology.declare(on: setup)
        try await setup.close()

        var tasks: [Task<Void, Never>] = []
        let publishing = try await producer.openChannel()
        tasks.append(Task { await produce(on: publishing) })

        tasks.append(try await consume(consumers, "orders", prefetch: 10) { channel, delivery in
            if delivery.properties.headers?["poison"] != nil, !isReplayed(delivery) {
                try await channel.reject(deliveryTag: delivery.deliveryTag, requeue: false)
            } else if !delivery.redelivered, delivery.deliveryTag % 20 == 0 {
                // Requeued once: it comes back with the redelivered flag.
                try await channel.nack(deliveryTag: delivery.deliveryTag, requeue: true)
            } else {
                try await channel.ack(deliveryTag: delivery.deliveryTag)
            }
        })
        tasks.append(try await consume(consumers, "orders.refunds", prefetch: 5) { channel, delivery in
            if delivery.properties.headers?["fraud"] != nil, !isReplayed(delivery) {
                // Dead-lettered to refunds.dlq by the policy's dead-letter exchange.
                try await channel.reject(deliveryTag: delivery.deliveryTag, requeue: false)
            } else {
                try await channel.ack(deliveryTag: delivery.deliveryTag)
            }
        })
        tasks.append(try await consume(consumers, "payments", prefetch: 5) { channel, delivery in
            if delivery.properties.headers?["declined"] != nil, !isReplayed(delivery) {
                // Requeued until the quorum queue's delivery limit dead-letters it.
                try await channel.nack(deliveryTag: delivery.deliveryTag, requeue: true)
            } else {
                try await channel.ack(deliveryTag: delivery.deliveryTag)
            }
        })
        tasks.append(try await consume(consumers, "tasks", prefetch: 5) { channel, delivery in
            if delivery.properties.headers?["flaky"] != nil {
                let tries = Int(delivery.properties.headers?["x-retry-count"]?.int64Value ?? 0)
                var properties = delivery.properties
                var headers = properties.headers ?? [:]
                headers["x-retry-count"] = .int32(Int32(tries + 1))
                properties.headers = headers
                try await channel.publish(delivery.body, routingKey: tries < 3 ? "tasks" : "tasks.dlq",
                                          properties: properties)
            }
            try await channel.ack(deliveryTag: delivery.deliveryTag)
        })
        tasks.append(try await consume(consumers, "inbox.capped", prefetch: 1) { channel, delivery in
            // Slower than the producer, so the length limit pushes the oldest out.
            try await Task.sleep(for: .milliseconds(700))
            try await channel.ack(deliveryTag: delivery.deliveryTag)
        })
        for queue in ["audit.all", "emails", "events.eu-invoices", "events.urgent"] {
            tasks.append(try await consume(consumers, queue, prefetch: 20) { channel, delivery in
                try await channel.ack(deliveryTag: delivery.deliveryTag)
            })
        }
        tasks.append(try await consume(consumers, "sms", prefetch: 0, noAck: true) { _, _ in })
        return DemoWorkload(connections: [producer, consumers], tasks: tasks)
    }

    /// Stops the traffic and closes the connections.
    func stop() async {
        for task in tasks { task.cancel() }
        for connection in connections { try? await connection.close() }
    }

    static func isReplayed(_ delivery: AMQPDelivery) -> Bool {
        // Replayed messages stand for ones whose bug has been fixed: the workers accept them.
        delivery.properties.headers?["x-warren-replay-id"] != nil
    }

    private static func consume(
        _ connection: AMQPConnection, _ queue: String, prefetch: UInt16, noAck: Bool = false,
        handle: @escaping @Sendable (AMQPChannel, AMQPDelivery) async throws -> Void
    ) async throws -> Task<Void, Never> {
        let channel = try await connection.openChannel()
        if prefetch > 0 { try await channel.qos(prefetchCount: prefetch) }
        let consumer = try await channel.consume(queue, consumerTag: "demo.\(queue)", noAck: noAck)
        return Task {
            do {
                for try await delivery in consumer { try await handle(channel, delivery) }
            } catch {
                // The demo is stopping (or the broker went away): nothing to report.
            }
        }
    }

    private static func produce(on channel: AMQPChannel) async {
        var tick = 0
        var backlog = 0
        let filler = String(repeating: "r", count: 1000)
        func json(_ fields: [String: Any]) -> ByteBuffer {
            let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
            return ByteBuffer(bytes: data)
        }
        func properties(_ headers: FieldTable? = nil, json: Bool = true, persistent: Bool = false) -> BasicProperties {
            var p = BasicProperties()
            p.contentType = json ? "application/json" : "text/plain"
            if persistent { p.deliveryMode = 2 }
            p.headers = headers
            return p
        }
        do {
            while !Task.isCancelled {
                tick += 1
                let id = tick
                // One poison order early on, then one every 15 s.
                let poison = id % 150 == 20
                try await channel.publish(json(["order": id, "sku": "SKU-\(id % 17)", "amount": id % 90 + 10]),
                                          exchange: "shop", routingKey: id % 3 == 0 ? "order.paid" : "order.created",
                                          properties: properties(poison ? ["poison": .bool(true)] : nil))
                if id % 8 == 0 {
                    let fraud = id % 40 == 0
                    try await channel.publish(json(["refund": id, "cents": id * 3 % 2000]), exchange: "shop",
                                              routingKey: "refund.requested",
                                              properties: properties(fraud ? ["fraud": .bool(true)] : nil))
                }
                if id % 5 == 0 {
                    try await channel.publish(json(["user": "u\(id % 7)"]), exchange: "shop", routingKey: "audit.login",
                                              properties: properties())
                }
                if id % 4 == 0 {
                    try await channel.publish(ByteBuffer(string: "Your order \(id) has shipped"), exchange: "notify",
                                              routingKey: "", properties: properties(json: false))
                }
                if id % 3 == 0 {
                    let headers: FieldTable = id % 2 == 0
                        ? ["region": .string("eu"), "type": .string("invoice")]
                        : ["priority": .string("high"), "type": .string("report")]
                    try await channel.publish(json(["event": id]), exchange: "events", routingKey: "",
                                              properties: properties(headers))
                }
                if id % 2 == 0 {
                    let declined = id % 30 == 0
                    try await channel.publish(json(["charge": id, "cents": id * 7 % 5000]), exchange: "payments",
                                              routingKey: "charge",
                                              properties: properties(declined ? ["declined": .bool(true)] : nil))
                }
                if id % 6 == 0 {
                    let flaky = id % 36 == 0
                    try await channel.publish(json(["task": id]), routingKey: "tasks",
                                              properties: properties(flaky ? ["flaky": .bool(true)] : nil))
                }
                if id % 10 == 0 {
                    try await channel.publish(json(["session": id]), routingKey: "sessions.ttl", properties: properties())
                }
                try await channel.publish(json(["mail": id]), routingKey: "inbox.capped", properties: properties())
                if backlog < backlogLimit {
                    for _ in 0..<backlogPerTick {
                        backlog += 1
                        try await channel.publish(ByteBuffer(string: "report \(backlog) " + filler),
                                                  routingKey: "reports.backlog",
                                                  properties: properties(json: false, persistent: backlog % 2 == 0))
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            // Cancelled, or the connection closed as the demo stops.
        }
    }
}
