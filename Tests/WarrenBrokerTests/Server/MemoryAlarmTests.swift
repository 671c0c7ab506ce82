import NIOCore
import Testing
import WarrenBroker
import WarrenClient

@Suite struct MemoryAlarmTests {
    /// Over the memory limit, a publishing connection gets connection.blocked and is no longer
    /// read from; a purge from another connection clears the alarm and unblocks it.
    @Test func publishersAreBlockedAboveTheLimitAndUnblockedBelowIt() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0, memoryLimit: 1 << 20))
        let url = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"
        let publisher = try await AMQPConnection.connect(to: url)
        let admin = try await AMQPConnection.connect(to: url)
        let channel = try await publisher.openChannel()
        try await channel.queueDeclare("backlog")
        var events = publisher.blockingEvents.makeAsyncIterator()

        let chunk = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        for _ in 0..<40 { try await channel.publish(chunk, routingKey: "backlog") }
        // The alarm is checked every 100 ms; the next publish after it is raised blocks us.
        var blocked = false
        for _ in 0..<50 where !blocked {
            try await Task.sleep(for: .milliseconds(50))
            try await channel.publish(chunk, routingKey: "backlog")
            blocked = publisher.blockedReason != nil
        }
        #expect(await events.next() == .blocked(reason: "low on memory"))

        let adminChannel = try await admin.openChannel()
        let purged = try await adminChannel.queuePurge("backlog")
        #expect(purged >= 40)
        #expect(await events.next() == .unblocked)
        #expect(publisher.blockedReason == nil)

        // Reading resumed: a round trip on the once-blocked connection works.
        try await channel.queueDelete("backlog")
        try await admin.close()
        try await publisher.close()
        try await broker.shutdown()
    }
}
