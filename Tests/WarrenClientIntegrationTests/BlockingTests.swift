import Foundation
import NIOCore
import Synchronization
import Testing
import WarrenClient

/// connection.blocked / unblocked, driven by a real memory alarm on the node.
///
/// The alarm is node-wide: while it is up, every connection that publishes anywhere on the node
/// is blocked, so other tests running in parallel may stall for that long. To keep that to about
/// a second no matter how slowly rabbitmqctl starts on a loaded machine, one `rabbitmqctl eval`
/// raises the alarm and leaves a timer inside the broker that restores the original watermark
/// one second later; the node recovers even if this test process dies in between.
@Suite(.serialized, .enabled(if: LiveBroker.isAvailable && LiveBroker.rabbitmqctl != nil,
                             "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQCTL (scripts/test sets them)"))
struct BlockingTests {
    static let alarmMilliseconds = 1_000

    @Test func memoryAlarmBlocksAndUnblocksAPublisher() async throws {
        try await LiveBroker.withChannel { connection, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.confirmSelect()
            #expect(connection.blockedReason == nil)

            // Each event with the connection's blockedReason as it was when the event arrived.
            let events = Recorder<Pair>()
            let reader = Task {
                for await event in connection.blockingEvents {
                    await events.append(Pair(event: event, reason: connection.blockedReason))
                }
            }
            defer { reader.cancel() }

            let alarmFailed = Mutex(false)
            let alarm = Task {
                do {
                    return try await LiveBroker.rabbitmqctl("eval", Self.alarmExpression)
                } catch {
                    alarmFailed.withLock { $0 = true }
                    throw error
                }
            }
            // RabbitMQ blocks a connection (and tells it so) when it publishes during the alarm,
            // which starts once rabbitmqctl has booted: keep publishing until then.
            var published: UInt64 = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while await events.items.isEmpty {
                if alarmFailed.withLock({ $0 }) { _ = try await alarm.value }
                guard ContinuousClock.now < deadline else { throw TimedOut(what: "connection.blocked") }
                published = try await channel.publish(ByteBuffer(string: "\(published + 1)"), routingKey: queue)
                try await Task.sleep(for: .milliseconds(10))
            }
            let original = try await alarm.value.trimmingCharacters(in: .whitespacesAndNewlines)

            let seen = try await events.waitFor(count: 2, timeout: .seconds(10))
            #expect(seen.map(\.event) == [.blocked(reason: "low on memory"), .unblocked])
            #expect(seen[0].reason == "low on memory")
            #expect(seen[1].reason == nil)
            // `.unblocked` means the broker's timer restored the watermark (`original`).
            #expect(connection.blockedReason == nil)
            #expect(!original.isEmpty)

            // Everything published was held back while blocked, not lost.
            let summary = try await channel.waitForConfirms()
            #expect(summary.allAcked)
            #expect(summary.upTo == published)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == UInt32(published))
            #expect(try await channel.get(queue, noAck: true)?.message.bodyString == "1")
            #expect(connection.isOpen)
        }
    }

    struct Pair: Sendable {
        var event: AMQPBlockingEvent
        var reason: String?
    }

    /// Raises the memory alarm and schedules, inside the broker, the restore of the current
    /// watermark; evaluates to that watermark.
    static let alarmExpression = """
        Original = vm_memory_monitor:get_vm_memory_high_watermark(),
        vm_memory_monitor:set_vm_memory_high_watermark(0.0000001),
        spawn(fun() ->
            timer:sleep(\(alarmMilliseconds)),
            vm_memory_monitor:set_vm_memory_high_watermark(Original)
        end),
        Original.
        """
}
