import NIOCore
import NIOPosix
import Testing
import WarrenWire
@testable import WarrenBroker

@Suite struct MessageStateCountsTests {
    @Test func everyReadyMessageIsAlphaWhileNothingPagesOut() throws {
        let vhost = VirtualHost(name: "/", eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let settings = try QueueArguments(["x-max-priority": .int32(2)], queue: "q", vhost: "/")
        let queue = BrokerQueue(name: "q", durable: false, autoDelete: false, exclusiveOwner: nil,
                                arguments: ["x-max-priority": .int32(2)], settings: settings, vhost: vhost)
        for priority in [0, 1, 2, 2] as [UInt8] {
            var properties = BasicProperties()
            properties.priority = priority
            _ = queue.enqueue(Message.make(exchange: "", routingKey: "q", properties: properties, body: ByteBuffer(string: "m")))
        }
        #expect(queue.stateCounts == MessageStateCounts(alpha: 4))
        #expect(queue.stateCounts.alpha == queue.readyCount)
        _ = queue.get()
        #expect(queue.stateCounts == MessageStateCounts(alpha: 3))
    }
}
