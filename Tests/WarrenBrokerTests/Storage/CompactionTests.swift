import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// Segments left mostly dead are compacted and indexes left mostly acked are rewritten while the
/// broker runs; what is still queued comes back intact after a restart.
@Suite struct CompactionTests {
    @Test func mostlyDeadSegmentsAreCompactedAndSurviveARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory, segmentSize: 32 * 1024)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.queueDeclare("mostly", durable: true)
        try await channel.queueDeclare("kept", durable: true)
        try await channel.confirmSelect()
        for number in 0..<300 {
            let queue = number % 3 == 0 ? "kept" : "mostly"
            try await channel.publish(ByteBuffer(string: "\(number):" + String(repeating: "x", count: 1000)),
                                      routingKey: queue, properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        let segmentsBefore = directory.files(in: "msg_store").count
        var liveBytesBefore = 0
        for file in directory.files(in: "msg_store") { liveBytesBefore += directory.size(of: "msg_store/" + file) }
        while let result = try await channel.get("mostly") {
            try await channel.ack(deliveryTag: result.message.deliveryTag)
        }
        try await connection.close()
        try await broker.shutdown()
        var bytesAfter = 0
        for file in directory.files(in: "msg_store") { bytesAfter += directory.size(of: "msg_store/" + file) }
        // Every segment held "kept" messages, so the first one can only be gone by compaction.
        #expect(!directory.files(in: "msg_store").contains("1.seg"))
        #expect(segmentsBefore > 5)
        #expect(bytesAfter < liveBytesBefore * 3 / 5, "\(liveBytesBefore) B on disk became \(bytesAfter) B")

        broker = try await startBroker(directory, segmentSize: 32 * 1024)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        let kept = try await drain(channel, "kept").map { $0.bodyString.split(separator: ":")[0] }
        #expect(kept == stride(from: 0, to: 300, by: 3).map { Substring(String($0)) })
        #expect(try await channel.queueDeclare("mostly", passive: true).messageCount == 0)
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func aMostlyAckedIndexIsRewritten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.queueDeclare("long", durable: true)
        try await channel.confirmSelect()
        for number in 0..<5000 {
            try await channel.publish(ByteBuffer(string: "\(number)"), routingKey: "long", properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        try await channel.qos(prefetchCount: 500)
        let consumer = try await channel.consume("long")
        var taken = 0
        for try await delivery in consumer {
            try await channel.ack(deliveryTag: delivery.deliveryTag)
            taken += 1
            if taken == 4990 { break }
        }
        try await channel.cancel(consumerTag: consumer.consumerTag)
        let index = try #require(directory.files(in: "queues").first)
        // 5000 publish, 5000 deliver and 4990 ack records unless rewritten (21 bytes each at least).
        #expect(directory.size(of: "queues/" + index) < 100_000)
        try await connection.close()
        try await broker.shutdown()

        broker = try await startBroker(directory)
        connection = try await connect(broker)
        channel = try await connection.openChannel()
        let left = try await drain(channel, "long")
        #expect(left.count >= 10)
        let numbers = left.compactMap { Int($0.bodyString) }
        #expect(numbers == Array(numbers.sorted()) && numbers.last == 4999)
        try await connection.close()
        try await broker.shutdown()
    }
}
