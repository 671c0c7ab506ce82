import Foundation
import NIOCore
import Testing
import WarrenClient
@testable import WarrenBroker

/// A publisher whose queue's backlog outruns a consumer that is taking messages is paused
/// (connection state `flow`) and resumed as the backlog drains; a queue whose consumer is stuck
/// never pauses its publisher.
@Suite(.serialized) struct FlowControlTests {
    static let messages = BrokerQueue.flowHigh * 4

    /// Publishes `messages` small messages while sampling the publisher's flow state; returns
    /// whether it was ever seen in flow.
    static func publishWatchingFlow(_ broker: Broker, _ channel: AMQPChannel) async throws -> Bool {
        let sampling = Task {
            var seen = false
            while !Task.isCancelled && !seen {
                let snapshot = try await broker.snapshot(.connections)
                seen = snapshot.connections.contains { $0.inFlow }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return seen
        }
        let body = ByteBuffer(repeating: 0x66, count: 16)
        for _ in 0..<messages { try await channel.publish(body, routingKey: "flow") }
        _ = try await channel.queueDeclare("flow", passive: true)
        try await Task.sleep(for: .milliseconds(50))
        sampling.cancel()
        return try await sampling.value
    }

    /// A broker with queue "flow", a publishing connection and a consuming one (its channel set
    /// to `prefetch`); everything is closed after `body`.
    static func withPublisherAndConsumer(
        prefetch: UInt16, _ body: (Broker, AMQPChannel, AMQPChannel) async throws -> Void
    ) async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        let url = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"
        let publisher = try await AMQPConnection.connect(to: url)
        let consuming = try await AMQPConnection.connect(to: url)
        let channel = try await publisher.openChannel()
        try await channel.queueDeclare("flow")
        let consumerChannel = try await consuming.openChannel()
        try await consumerChannel.qos(prefetchCount: prefetch)
        try await body(broker, channel, consumerChannel)
        try await publisher.close()
        try await consuming.close()
        try await broker.shutdown()
    }

    @Test func aPublisherOutrunningAWorkingConsumerIsPausedAndResumed() async throws {
        try await Self.withPublisherAndConsumer(prefetch: 20) { broker, channel, consumerChannel in
            let consumer = try await consumerChannel.consume("flow")
            let draining = Task {
                var count = 0
                for try await delivery in consumer {
                    try await consumerChannel.ack(deliveryTag: delivery.deliveryTag)
                    count += 1
                    if count == Self.messages { break }
                }
                return count
            }
            #expect(try await Self.publishWatchingFlow(broker, channel), "the publisher went into flow")
            // Every message still arrives: flow control delays publishers, it drops nothing.
            #expect(try await draining.value == Self.messages)
            let after = try await broker.snapshot(.connections)
            #expect(!after.connections.contains { $0.inFlow }, "and it was resumed")
        }
    }

    /// A publisher that closes while paused is taken off the queue's list at once, not kept
    /// (and its connection with it) until the backlog drains.
    @Test func aPausedPublisherThatClosesIsLetGo() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        let url = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"
        let consuming = try await AMQPConnection.connect(to: url)
        let consumerChannel = try await consuming.openChannel()
        try await consumerChannel.queueDeclare("flow")
        try await consumerChannel.qos(prefetchCount: 1)
        let consumer = try await consumerChannel.consume("flow")
        // Takes messages, slowly: the backlog stays above the point where publishers resume.
        let slow = Task {
            for try await delivery in consumer {
                try await consumerChannel.ack(deliveryTag: delivery.deliveryTag)
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        let publisher = try await AMQPConnection.connect(to: url)
        let channel = try await publisher.openChannel()
        let body = ByteBuffer(repeating: 0x66, count: 16)
        var paused = false
        for batch in 0..<40 where !paused {
            for _ in 0..<1_000 { try await channel.publish(body, routingKey: "flow") }
            if batch >= 16 { paused = try await broker.snapshot(.connections).connections.contains { $0.inFlow } }
        }
        #expect(paused, "the publisher went into flow")
        let core = broker.core
        let pausedOnQueue = { try await core.eventLoop.submit { core.value.vhosts["/"]!.queues["flow"]!.flowPaused.count }.get() }
        #expect(try await pausedOnQueue() == 1)
        try? await publisher.close()
        var left = try await pausedOnQueue()
        for _ in 0..<100 where left > 0 {
            try await Task.sleep(for: .milliseconds(10))
            left = try await pausedOnQueue()
        }
        #expect(left == 0, "the closed connection is off the queue's list")
        #expect(try await consumerChannel.queueDeclare("flow", passive: true).messageCount > UInt32(BrokerQueue.flowLow),
                "while the backlog is still there")
        slow.cancel()
        try await consuming.close()
        try await broker.shutdown()
    }

    @Test func aStuckConsumerDoesNotPauseItsPublisher() async throws {
        try await Self.withPublisherAndConsumer(prefetch: 5) { broker, channel, consumerChannel in
            // Takes its five messages and never acks them.
            _ = try await consumerChannel.consume("flow")
            #expect(try await Self.publishWatchingFlow(broker, channel) == false)
            #expect(try await channel.queueDeclare("flow", passive: true).messageCount == UInt32(Self.messages - 5))
        }
    }
}
