import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// 100,000 persistent messages in 100 durable queues survive a restart. The time the restart
/// takes is printed for the benchmark notes, never asserted.
@Suite struct RestartScaleTests {
    @Test func hundredThousandMessagesInHundredQueues() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queueCount = 100
        let perQueue = 1000
        var broker = try await startBroker(directory)
        var connection = try await connect(broker)
        let channel = try await connection.openChannel()
        for index in 0..<queueCount { try await channel.queueDeclare("scale.\(index)", durable: true) }
        try await channel.confirmSelect()
        for round in 0..<perQueue {
            for index in 0..<queueCount {
                try await channel.publish(ByteBuffer(string: "\(index):\(round)"), routingKey: "scale.\(index)",
                                          properties: persistent)
            }
            if round % 10 == 9 { #expect(try await channel.waitForConfirms().allAcked) }
        }
        try await connection.close()
        try await broker.shutdown()

        let clock = ContinuousClock()
        let started = clock.now
        broker = try await startBroker(directory)
        let recovery = clock.now - started
        connection = try await connect(broker)
        let accepted = clock.now - started
        print("restart with \(queueCount * perQueue) messages in \(queueCount) durable queues: recovered in \(recovery), "
            + "first connection accepted after \(accepted)")
        let reader = try await connection.openChannel()
        for index in 0..<queueCount {
            #expect(try await reader.queueDeclare("scale.\(index)", passive: true).messageCount == UInt32(perQueue))
        }
        let first = try #require(try await reader.get("scale.7", noAck: true))
        #expect(first.message.bodyString == "7:0")
        try await connection.close()
        try await broker.shutdown()
    }
}
