import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import WarrenClient

/// Returns and confirms reach `publisherEvents()` in the order the broker sent them, so a reader
/// knows a message was returned by the time its confirm arrives.
@Suite("Publisher events")
struct PublisherEventsTests {
    typealias Harness = AMQPConnectionHandlerChannelsTests

    @Test func returnsAndConfirmsArriveInWireOrder() async throws {
        let (h, _) = try Harness.withChannel()
        defer { try? h.finish() }
        let (events, continuation) = AsyncThrowingStream<AMQPPublisherEvent, any Error>.makeStream()
        let registered = h.loop.makePromise(of: Void.self)
        h.handler.watchPublisherEvents(channel: 1, .stream(continuation), promise: registered)
        #expect(outcome(registered.futureResult) != nil)
        try Harness.publish(h, 1...3)
        _ = try h.written()

        // RabbitMQ's order for an unroutable mandatory message: basic.return, then its ack.
        var returned = ByteBuffer()
        try returned.writeMethodFrame(channel: 1, BasicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "",
                                                              routingKey: "nowhere"))
        try returned.writeContent(channel: 1, properties: BasicProperties(headers: ["stamp": "r/2"]),
                                  body: ByteBuffer(string: "job 2"), frameMax: 131_072)
        try h.channel.writeInbound(returned)
        try h.send(channel: 1, BasicAck(deliveryTag: 2, multiple: true).method)
        try h.send(channel: 1, BasicNack(deliveryTag: 3, multiple: false, requeue: false).method)
        let text = "NOT_FOUND - no exchange 'x' in vhost '/'"
        try h.send(channel: 1, ChannelClose(replyCode: 404, replyText: text, classID: 60, methodID: 40).method)

        var seen: [String] = []
        do {
            for try await event in events {
                switch event {
                case .returned(let message): seen.append("return \(message.routingKey) \(message.bodyString)")
                case .ack(let tag, let multiple): seen.append("ack \(tag)\(multiple ? " multiple" : "")")
                case .nack(let tag, let multiple): seen.append("nack \(tag)\(multiple ? " multiple" : "")")
                }
            }
            Issue.record("a broker's channel.close ends the events with its error")
        } catch let error as AMQPClientError {
            #expect(error == .channelClosedByServer(AMQPCloseReason(replyCode: 404, replyText: text, classID: 60,
                                                                    methodID: 40)))
        }
        #expect(seen == ["return nowhere job 2", "ack 2 multiple", "nack 3"])
    }

    /// The handler form gets the same events on the event loop, then the end with its error, once.
    @Test func aHandlerGetsTheSameEventsThenTheEnd() async throws {
        let (h, _) = try Harness.withChannel()
        defer { try? h.finish() }
        final class Seen: Sendable {
            let lines = Mutex<[String]>([])
            func withLockedValue<T>(_ body: (inout [String]) -> T) -> T { lines.withLock { body(&$0) } }
        }
        let seen = Seen()
        let registered = h.loop.makePromise(of: Void.self)
        h.handler.watchPublisherEvents(channel: 1, .handler { event in
            switch event {
            case .next(.returned(let message)): seen.withLockedValue { $0.append("return \(message.routingKey)") }
            case .next(.ack(let tag, let multiple)): seen.withLockedValue { $0.append("ack \(tag) \(multiple)") }
            case .next(.nack(let tag, _)): seen.withLockedValue { $0.append("nack \(tag)") }
            case .ended(let error): seen.withLockedValue { $0.append("ended \((error as? AMQPClientError)?.replyCode.map { Int($0) } ?? 0)") }
            }
        }, promise: registered)
        #expect(outcome(registered.futureResult) != nil)
        try Harness.publish(h, 1...2)
        _ = try h.written()
        var returned = ByteBuffer()
        try returned.writeMethodFrame(channel: 1, BasicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "",
                                                              routingKey: "nowhere"))
        try returned.writeContent(channel: 1, properties: BasicProperties(), body: ByteBuffer(string: "x"),
                                  frameMax: 131_072)
        try h.channel.writeInbound(returned)
        try h.send(channel: 1, BasicAck(deliveryTag: 1, multiple: false).method)
        try h.send(channel: 1, BasicNack(deliveryTag: 2, multiple: false, requeue: false).method)
        try h.send(channel: 1, ChannelClose(replyCode: 404, replyText: "NOT_FOUND - x", classID: 60, methodID: 40).method)
        #expect(seen.withLockedValue { $0 } == ["return nowhere", "ack 1 false", "nack 2", "ended 404"])
    }
}

extension AMQPReturnedMessage {
    var bodyString: String { String(buffer: body) }
}
