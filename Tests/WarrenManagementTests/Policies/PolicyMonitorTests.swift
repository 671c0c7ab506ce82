import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenMonitor

/// The monitor on the embedded broker finds a dead-letter queue that a policy, not the source
/// queue's arguments, feeds: as the demo's orders.refunds and refunds.dlq.
@Suite struct PolicyMonitorTests {
    @Test func aDeadLetterExchangeFromAPolicyIsFound() async throws {
        try await EmbeddedManagement.with { m in
            let connection = try await AMQPConnection.connect(to: m.amqpURL)
            let channel = try await connection.openChannel()
            try await channel.exchangeDeclare("dlx", type: "direct")
            _ = try await channel.queueDeclare("refunds.dlq")
            try await channel.queueBind("refunds.dlq", exchange: "dlx", routingKey: "refunds")
            _ = try await channel.queueDeclare("orders.refunds")
            let put = try await m.request("PUT", "/api/policies/%2F/orders-dlx", body: #"""
                {"pattern":"^orders\\.refunds$","apply-to":"queues","priority":1,
                 "definition":{"dead-letter-exchange":"dlx","dead-letter-routing-key":"refunds"}}
                """#)
            #expect(put.status == 201, "\(put.body)")
            try await channel.publish(ByteBuffer(string: "fraud"), routingKey: "orders.refunds")
            let got = try #require(try await channel.get("orders.refunds"))
            try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            #expect(try await channel.queueDeclare("refunds.dlq", passive: true).messageCount == 1)
            try? await connection.close()

            let poller = Poller(source: try ManagementSource(url: "http://guest:guest@127.0.0.1:\(m.port)/"), interval: 1)
            let status = await poller.poll()
            let snapshot = try #require(status.snapshot, "\(String(describing: status.error))")
            let refunds = try #require(snapshot.queue("orders.refunds"))
            #expect(refunds.policy == "orders-dlx")
            #expect(refunds.effectivePolicy["dead-letter-exchange"]?.string == "dlx")
            let dlq = try #require(snapshot.deadLetters.queue(QueueID(name: "refunds.dlq")))
            #expect(dlq.sources == [QueueID(name: "orders.refunds")])
            #expect(snapshot.deadLetters.routes.contains { $0.source.name == "orders.refunds" && $0.fromPolicy && $0.certain })
        }
    }
}
