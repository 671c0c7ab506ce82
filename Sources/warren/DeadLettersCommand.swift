import ArgumentParser
import Foundation
import NIOCore
import WarrenClient
import WarrenMonitor

/// `warren dead-letters`: fills a DLQ with real dead letters, fast, for benchmarks and tries of
/// `warren replay` (hidden; scripts/bench uses it).
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Dead-letter N messages from an origin queue into a DLQ (for benchmarks).", shouldDisplay: false)

    @OptionGroup var broker: BrokerOptions
    @Argument(help: "The dead-letter queue (declared, with a fanout exchange DLQ.dlx bound to it).") var dlq: String
    @Option(name: .long, help: "The origin queue (declared with DLQ.dlx as its dead-letter exchange).") var origin: String
    @Option(name: .long, help: "Messages to dead-letter.") var count = 100_000
    @Option(name: .long, help: "Body size in bytes.") var size = 64
    @Flag(name: .long, help: "Publish to the origin and stop: plain messages, no x-death (for a move).")
    var leaveInOrigin = false

    func run() async throws {
        try await reportingErrors("dead-letters") {
            let connection = try await AMQPConnection.connect(to: broker.amqpURL)
            do {
                try await fill(connection)
                try? await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
            print(leaveInOrigin ? "published \(count) messages to \(origin)"
                : "dead-lettered \(count) messages from \(origin) into \(dlq)")
        }
    }

    private func fill(_ connection: AMQPConnection) async throws {
        let channel = try await connection.openChannel()
        let dlx = dlq + ".dlx"
        try await channel.exchangeDeclare(dlx, type: "fanout", durable: true)
        try await channel.queueDeclare(dlq, durable: true)
        try await channel.queueBind(dlq, exchange: dlx)
        try await channel.queueDeclare(origin, durable: true, arguments: ["x-dead-letter-exchange": .string(dlx)])
        try await channel.confirmSelect()
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: max(0, size))
        for n in 0..<count {
            try await channel.publish(body, routingKey: origin)
            if n % 1000 == 999 { try await channel.waitForConfirms() }
        }
        try await channel.waitForConfirms()
        if leaveInOrigin { return }
        // Rejected by a consumer, in batches: RabbitMQ records reason "rejected" in x-death.
        try await channel.qos(prefetchCount: 2000)
        let consumer = try await channel.consume(origin)
        var taken = 0
        for try await delivery in consumer {
            taken += 1
            if taken % 500 == 0 || taken == count {
                try await channel.nack(deliveryTag: delivery.deliveryTag, multiple: true, requeue: false)
            }
            if taken == count { break }
        }
        try await consumer.cancel()
        // Dead-lettering is asynchronous on RabbitMQ: wait until the DLQ holds them all.
        while Int(try await channel.queueDeclare(dlq, passive: true).messageCount) < count {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
