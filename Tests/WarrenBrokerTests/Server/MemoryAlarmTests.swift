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

        // Publish until the broker says stop: the alarm is checked every 100 ms, and the first
        // publish after it is raised gets the connection blocked. Stopping there keeps what is
        // still unread in the socket small, so the purge below clears the alarm for good.
        let chunk = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        var published = 0
        while publisher.blockedReason == nil && published < 400 {
            try await channel.publish(chunk, routingKey: "backlog")
            published += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await events.next() == .blocked(reason: "low on memory"))

        let adminChannel = try await admin.openChannel()
        let purged = try await adminChannel.queuePurge("backlog")
        // The alarm rose, so more than the 1 MiB limit (16 chunks) was queued.
        #expect(purged > 16)
        #expect(await events.next() == .unblocked)
        #expect(publisher.blockedReason == nil)

        // Reading resumed: a round trip on the once-blocked connection works.
        try await channel.queueDelete("backlog")
        try await admin.close()
        try await publisher.close()
        try await broker.shutdown()
    }
}
