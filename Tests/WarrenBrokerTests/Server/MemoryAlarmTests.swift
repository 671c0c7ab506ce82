import NIOCore
import Testing
@testable import WarrenBroker
import WarrenClient

@Suite struct MemoryAlarmTests {
    /// Unacked messages cannot be paged out: a consumer that never acks drives the broker over
    /// its limit, and the publishing connection gets connection.blocked and is no longer read
    /// from. When the consumer goes its messages are requeued, paged out and purged, the alarm
    /// clears and the publisher is unblocked.
    @Test func publishersAreBlockedAboveTheLimitAndUnblockedBelowIt() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0, memoryLimit: 1 << 20))
        let url = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"
        let publisher = try await AMQPConnection.connect(to: url)
        let admin = try await AMQPConnection.connect(to: url)
        let channel = try await publisher.openChannel()
        try await channel.queueDeclare("backlog")
        let hoarder = try await admin.openChannel()
        let consumer = try await hoarder.consume("backlog")
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

        try await consumer.cancel()
        try await hoarder.close()
        let adminChannel = try await admin.openChannel()
        let purged = try await adminChannel.queuePurge("backlog")
        // The alarm rose, so more than the 1 MiB limit (16 chunks) was held.
        #expect(purged > 16)
        #expect(await events.next() == .unblocked)
        #expect(publisher.blockedReason == nil)

        // Reading resumed: a round trip on the once-blocked connection works.
        try await channel.queueDelete("backlog")
        try await admin.close()
        try await publisher.close()
        try await broker.shutdown()
    }

    /// Ready messages page out instead: 8 MiB go into a queue of a broker with a 1 MiB limit
    /// without the publisher ever being blocked, and come back in order.
    @Test func pagingKeepsAQueueWithoutConsumersUnderTheLimit() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0, memoryLimit: 1 << 20))
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("paged")
        try await channel.confirmSelect()
        for index in 0..<128 {
            var body = ByteBuffer(repeating: 0x62, count: 64 * 1024)
            body.setInteger(UInt32(index), at: 0)
            try await channel.publish(body, routingKey: "paged")
            if index % 16 == 15 { #expect(try await channel.waitForConfirms().allAcked) }
        }
        #expect(connection.blockedReason == nil)
        for index in 0..<128 {
            let message = try #require(try await channel.get("paged", noAck: true)).message
            #expect(message.body.getInteger(at: message.body.readerIndex, as: UInt32.self) == UInt32(index))
            #expect(message.body.readableBytes == 64 * 1024)
        }
        try await connection.close()
        try await broker.shutdown()
    }
}

@Suite struct DiskAlarmTests {
    /// With a disk free limit larger than any disk, the alarm is up from the start: a publishing
    /// connection gets connection.blocked "low on disk" and the management snapshot shows the
    /// alarm. Lowering the limit at run time clears it, and the publisher is unblocked.
    @Test func publishersAreBlockedBelowTheDiskFreeLimitAndUnblockedWhenItIsLowered() async throws {
        var configuration = BrokerConfiguration(amqpPort: 0)
        configuration.diskFreeLimit = Int.max
        let broker = try await Broker.start(configuration)
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("disk")
        var events = connection.blockingEvents.makeAsyncIterator()
        try await Task.sleep(for: .milliseconds(150))
        try await channel.publish(ByteBuffer(string: "while low on disk"), routingKey: "disk")
        #expect(await events.next() == .blocked(reason: "low on disk"))

        try await broker.setDiskFreeLimit(0)
        #expect(await events.next() == .unblocked)
        // Reading resumed: the message published while blocked is there.
        #expect(try await channel.queueDeclare("disk", passive: true).messageCount == 1)
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func bothAlarmsAreNamedInOneReason() {
        #expect(BrokerCore.blockReason(memory: true, disk: false) == "low on memory")
        #expect(BrokerCore.blockReason(memory: false, disk: true) == "low on disk")
        #expect(BrokerCore.blockReason(memory: true, disk: true) == "low on disk & memory")
    }
}
