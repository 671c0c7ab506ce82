import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// Confirms that wait for the disk keep their order with the ones that do not.
@Suite struct DurableConfirmTests {
    @Test func acksAndNacksStayInOrderBehindAnFsync() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await startBroker(directory)
        let connection = try await connect(broker)
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("full", durable: true,
                                       arguments: ["x-max-length": .int32(1), "x-overflow": .string("reject-publish")])
        try await channel.queueDeclare("other", durable: true)
        try await channel.queueDeclare("scratch")
        try await channel.confirmSelect()
        for round in 0..<20 {
            try await channel.queuePurge("full")
            try await channel.publish(ByteBuffer(string: "1"), routingKey: "full", properties: persistent)
            try await channel.publish(ByteBuffer(string: "2"), routingKey: "scratch")
            try await channel.publish(ByteBuffer(string: "3"), routingKey: "full", properties: persistent)
            try await channel.publish(ByteBuffer(string: "4"), routingKey: "other", properties: persistent)
            try await channel.publish(ByteBuffer(string: "5"), routingKey: "nowhere")
            let summary = try await channel.waitForConfirms()
            let base = UInt64(round * 5)
            #expect(summary.upTo == base + 5)
            #expect(summary.nacked == [base + 3], "round \(round)")
        }
        try await connection.close()
        try await broker.shutdown()
    }
}
