import NIOCore
import WarrenBroker
import WarrenClient
import WarrenWire

/// The demo's exchanges, queues and bindings: one of each thing in the RabbitMQ model that can
/// be watched happening.
enum DemoTopology {
    /// The one queue whose dead-lettering comes from a policy rather than its arguments: the
    /// dashboard finds its dead-letter queue through the queue's effective policy definition.
    static let policy = Policy(vhost: "/", name: "orders-dlx", pattern: "^orders\\.refunds$", applyTo: .queues,
                               priority: 1, definition: [
                                   "dead-letter-exchange": .string("dlx"),
                                   "dead-letter-routing-key": .string("refunds"),
                               ])

    /// Declares everything on one channel (idempotent: the same arguments every time).
    static func declare(on channel: AMQPChannel) async throws {
        // Dead letters of every kind go through one direct exchange, by routing key.
        try await channel.exchangeDeclare("dlx", type: "direct", durable: true)
        for (queue, key) in [("orders.dlq", "orders"), ("payments.dlq", "payments"), ("parking.dlq", "parking"),
                             ("refunds.dlq", "refunds")] {
            _ = try await channel.queueDeclare(queue, durable: true)
            try await channel.queueBind(queue, exchange: "dlx", routingKey: key)
        }

        // Topic routing: `order.*` to the order workers, `#` to the audit log.
        try await channel.exchangeDeclare("shop", type: "topic", durable: true)
        _ = try await channel.queueDeclare("orders", durable: true, arguments: [
            "x-dead-letter-exchange": .string("dlx"), "x-dead-letter-routing-key": .string("orders"),
        ])
        try await channel.queueBind("orders", exchange: "shop", routingKey: "order.*")
        // Refunds: no dead-letter arguments; the orders-dlx policy gives the queue its DLX.
        _ = try await channel.queueDeclare("orders.refunds", durable: true)
        try await channel.queueBind("orders.refunds", exchange: "shop", routingKey: "refund.*")
        _ = try await channel.queueDeclare("audit.all", durable: true)
        try await channel.queueBind("audit.all", exchange: "shop", routingKey: "#")

        // Fanout: every notification to e-mail and SMS; the key is ignored.
        try await channel.exchangeDeclare("notify", type: "fanout", durable: true)
        for queue in ["emails", "sms"] {
            _ = try await channel.queueDeclare(queue, durable: true)
            try await channel.queueBind(queue, exchange: "notify", routingKey: "ignored")
        }

        // Headers: x-match all vs any.
        try await channel.exchangeDeclare("events", type: "headers", durable: true)
        _ = try await channel.queueDeclare("events.eu-invoices", durable: true)
        try await channel.queueBind("events.eu-invoices", exchange: "events", arguments: [
            "x-match": .string("all"), "region": .string("eu"), "type": .string("invoice"),
        ])
        _ = try await channel.queueDeclare("events.urgent", durable: true)
        try await channel.queueBind("events.urgent", exchange: "events", arguments: [
            "x-match": .string("any"), "priority": .string("high"), "type": .string("alert"),
        ])

        // Direct routing to a quorum queue whose delivery limit dead-letters what keeps failing.
        try await channel.exchangeDeclare("payments", type: "direct", durable: true)
        _ = try await channel.queueDeclare("payments", durable: true, arguments: [
            "x-queue-type": .string("quorum"), "x-delivery-limit": .int32(3),
            "x-dead-letter-exchange": .string("dlx"), "x-dead-letter-routing-key": .string("payments"),
        ])
        try await channel.queueBind("payments", exchange: "payments", routingKey: "charge")

        // The manual retry pattern: a worker republishes with x-retry-count, then parks in tasks.dlq.
        _ = try await channel.queueDeclare("tasks", durable: true)
        _ = try await channel.queueDeclare("tasks.dlq", durable: true)

        // Expiry and overflow dead-lettering, both into parking.dlq.
        _ = try await channel.queueDeclare("sessions.ttl", durable: true, arguments: [
            "x-message-ttl": .int32(4000), "x-dead-letter-exchange": .string("dlx"),
            "x-dead-letter-routing-key": .string("parking"),
        ])
        _ = try await channel.queueDeclare("inbox.capped", durable: true, arguments: [
            "x-max-length": .int32(40), "x-dead-letter-exchange": .string("dlx"),
            "x-dead-letter-routing-key": .string("parking"),
        ])

        // A backlog nobody consumes.
        _ = try await channel.queueDeclare("reports.backlog", durable: true)
    }
}
