import Foundation
import NIOCore
import Testing
import WarrenClient
@testable import WarrenMonitor

@Suite("Peek against RabbitMQ 3.10.8", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct PeekTests {
    @Test func classicQueueKeepsContentsAndOrder() async throws {
        let queue = Live.unique("peek")
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(queue)
            for n in 0..<10 {
                try await channel.publish(ByteBuffer(string: #"{"n":\#(n)}"#), routingKey: queue,
                                          properties: BasicProperties(headers: ["n": .int64(Int64(n))]))
            }
        }
        let info = try await Live.management().queueDetail(QueueID(name: queue))
        let result = try await Peek.run(amqpURL: Live.amqpURL!, queue: queue, count: 4, queueInfo: info)
        #expect(result.messages.map(\.body) == (0..<4).map { "{\n  \"n\" : \($0)\n}" })
        #expect(result.messages.allSatisfy { $0.bodyEncoding == .json })
        #expect(result.warnings.contains { $0.contains("redelivered") })
        let after = try await Live.drain(queue)
        #expect(after.map(\.bodyString) == (0..<10).map { #"{"n":\#($0)}"# })
        _ = try await Live.withChannel { try await $0.queueDelete(queue) }
    }

    @Test func refusesAQuorumQueueWithADeliveryLimitUnlessForced() async throws {
        let queue = Live.unique("peek-quorum")
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(queue, durable: true, arguments: [
                "x-queue-type": .string("quorum"), "x-delivery-limit": .int64(2),
            ])
            try await channel.confirmSelect()
            try await channel.publish(ByteBuffer(string: "only"), routingKey: queue)
            try await channel.waitForConfirms()
        }
        let info = try await Live.management().queueDetail(QueueID(name: queue))
        #expect(info.isQuorum && info.deliveryLimit == 2)
        await #expect(throws: MonitorError.self) {
            _ = try await Peek.run(amqpURL: Live.amqpURL!, queue: queue, count: 1, queueInfo: info)
        }
        #expect(try await Live.depth(queue) == 1)
        let forced = try await Peek.run(amqpURL: Live.amqpURL!, queue: queue, count: 1, queueInfo: info, force: true)
        #expect(forced.messages.map(\.body) == ["only"])
        #expect(forced.warnings.contains { $0.contains("delivery limit") })
        _ = try await Live.withChannel { try await $0.queueDelete(queue) }
    }
}
