import NIOCore
import Testing

@testable import WarrenWire

@Suite("CommandAssembler")
struct CommandAssemblerTests {
    static let publish = AMQPMethod.basicPublish(BasicPublish(exchange: "ex", routingKey: "rk"))
    static let deliver = AMQPMethod.basicDeliver(
        BasicDeliver(consumerTag: "c", deliveryTag: 1, exchange: "ex", routingKey: "rk"))
    static let properties = BasicProperties(contentType: "text/plain", deliveryMode: 2)

    static func header(_ size: UInt64, classID: UInt16 = 60) -> ContentHeader {
        ContentHeader(classID: classID, bodySize: size, properties: properties)
    }

    /// Feeds frames, returning what each produced.
    static func feed(_ assembler: inout CommandAssembler, _ frames: [Frame]) throws(AMQPWireError) -> [Command?] {
        var results: [Command?] = []
        for frame in frames { results.append(try assembler.assemble(frame)) }
        return results
    }

    static func expectUnexpectedFrame(
        _ frames: [Frame], channel: UInt16, reasonContains: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var assembler = CommandAssembler()
        let error = wireError(sourceLocation: sourceLocation) { () throws(AMQPWireError) in try Self.feed(&assembler, frames) }
        guard case .unexpectedFrame(let errorChannel, let reason)? = error else {
            Issue.record("expected unexpectedFrame, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(errorChannel == channel, sourceLocation: sourceLocation)
        #expect(reason.contains(reasonContains), "\(reason)", sourceLocation: sourceLocation)
        #expect(error?.replyCode == 505, sourceLocation: sourceLocation)
        #expect(error?.replyText.hasPrefix("UNEXPECTED_FRAME - ") == true, sourceLocation: sourceLocation)
    }

    @Test func methodWithoutContentIsACommandAtOnce() throws {
        var assembler = CommandAssembler()
        let ack = AMQPMethod.basicAck(BasicAck(deliveryTag: 3))
        #expect(try assembler.assemble(.method(channel: 2, ack)) == Command(channel: 2, method: ack))
        #expect(!assembler.isAssembling(channel: 2))
    }

    @Test func heartbeatIsNotACommand() throws {
        var assembler = CommandAssembler()
        #expect(try assembler.assemble(.heartbeat) == nil)
    }

    @Test func publishHeaderAndOneBody() throws {
        var assembler = CommandAssembler()
        var input = ByteBuffer(bytes: [0xFF] + Array("hello".utf8))
        input.moveReaderIndex(forwardBy: 1)
        let results = try Self.feed(&assembler, [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(5))])
        #expect(results == [nil, nil])
        #expect(assembler.isAssembling(channel: 1))
        let command = try #require(try assembler.assemble(.body(channel: 1, input)))
        #expect(command == Command(channel: 1, method: Self.publish, header: Self.header(5), body: ByteBuffer(string: "hello")))
        #expect(!assembler.isAssembling(channel: 1))
        // A single body frame is handed on as it is: a slice of the read buffer, not a copy.
        let commandBase = command.body.withUnsafeReadableBytes { $0.baseAddress }
        let inputBase = input.withUnsafeReadableBytes { $0.baseAddress }
        #expect(commandBase == inputBase)
    }

    @Test func bodySplitAcrossThreeFramesIsConcatenated() throws {
        var assembler = CommandAssembler()
        let results = try Self.feed(&assembler, [
            .method(channel: 1, Self.deliver),
            .header(channel: 1, Self.header(9)),
            .body(channel: 1, ByteBuffer(string: "abc")),
            .body(channel: 1, ByteBuffer(string: "de")),
            .body(channel: 1, ByteBuffer(string: "fghi")),
        ])
        #expect(results.dropLast().allSatisfy { $0 == nil })
        #expect(results.last == Command(channel: 1, method: Self.deliver, header: Self.header(9), body: ByteBuffer(string: "abcdefghi")))
    }

    @Test func emptyBodyFramesInBetweenAreHarmless() throws {
        var assembler = CommandAssembler()
        let results = try Self.feed(&assembler, [
            .method(channel: 1, Self.publish), .header(channel: 1, Self.header(2)),
            .body(channel: 1, ByteBuffer()), .body(channel: 1, ByteBuffer(string: "a")),
            .body(channel: 1, ByteBuffer()), .body(channel: 1, ByteBuffer(string: "b")),
        ])
        #expect(results.last == Command(channel: 1, method: Self.publish, header: Self.header(2), body: ByteBuffer(string: "ab")))
    }

    @Test func zeroSizeBodyCompletesAtTheHeader() throws {
        var assembler = CommandAssembler()
        #expect(try assembler.assemble(.method(channel: 4, Self.publish)) == nil)
        #expect(try assembler.assemble(.header(channel: 4, Self.header(0))) == Command(channel: 4, method: Self.publish, header: Self.header(0)))
        #expect(!assembler.isAssembling(channel: 4))
        // The next method on the channel starts afresh.
        #expect(try assembler.assemble(.method(channel: 4, .basicQosOk(BasicQosOk()))) == Command(channel: 4, method: .basicQosOk(BasicQosOk())))
    }

    @Test func interleavedChannels() throws {
        var assembler = CommandAssembler()
        let getOk = AMQPMethod.basicGetOk(BasicGetOk(deliveryTag: 9, exchange: "", routingKey: "q", messageCount: 0))
        let results = try Self.feed(&assembler, [
            .method(channel: 1, Self.publish),
            .method(channel: 2, Self.deliver),
            .header(channel: 2, Self.header(4)),
            .method(channel: 3, .basicAck(BasicAck(deliveryTag: 1))),
            .header(channel: 1, Self.header(3)),
            .body(channel: 2, ByteBuffer(string: "wx")),
            .method(channel: 5, getOk),
            .body(channel: 1, ByteBuffer(string: "one")),
            .heartbeat,
            .header(channel: 5, Self.header(0)),
            .body(channel: 2, ByteBuffer(string: "yz")),
        ])
        #expect(results.compactMap { $0 } == [
            Command(channel: 3, method: .basicAck(BasicAck(deliveryTag: 1))),
            Command(channel: 1, method: Self.publish, header: Self.header(3), body: ByteBuffer(string: "one")),
            Command(channel: 5, method: getOk, header: Self.header(0)),
            Command(channel: 2, method: Self.deliver, header: Self.header(4), body: ByteBuffer(string: "wxyz")),
        ])
    }

    @Test func resetForgetsPartialContent() throws {
        var assembler = CommandAssembler()
        _ = try Self.feed(&assembler, [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(10))])
        #expect(assembler.isAssembling(channel: 1))
        assembler.reset(channel: 1)
        #expect(!assembler.isAssembling(channel: 1))
        #expect(try assembler.assemble(.method(channel: 1, .channelCloseOk(ChannelCloseOk()))) != nil)
    }

    // MARK: Frames out of place (505)

    @Test func headerWithNoPendingMethod() {
        Self.expectUnexpectedFrame([.header(channel: 3, Self.header(1))], channel: 3, reasonContains: "content header without a method")
    }

    @Test func headerAfterAMethodWithoutContent() {
        Self.expectUnexpectedFrame(
            [.method(channel: 3, .basicAck(BasicAck(deliveryTag: 1))), .header(channel: 3, Self.header(1))],
            channel: 3, reasonContains: "content header")
    }

    @Test func headerOnAnotherChannel() {
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .header(channel: 2, Self.header(1))], channel: 2, reasonContains: "content header")
    }

    @Test func secondHeader() {
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(2)), .header(channel: 1, Self.header(2))],
            channel: 1, reasonContains: "content header")
    }

    @Test func bodyWithNoHeader() {
        Self.expectUnexpectedFrame([.body(channel: 1, ByteBuffer(string: "x"))], channel: 1, reasonContains: "content body without a content header")
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .body(channel: 1, ByteBuffer(string: "x"))],
            channel: 1, reasonContains: "content body without a content header")
    }

    @Test func methodWhileAwaitingHeader() {
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .method(channel: 1, .basicAck(BasicAck(deliveryTag: 1)))],
            channel: 1, reasonContains: "expected content header for basic.publish, got method basic.ack")
    }

    @Test func methodWhileAwaitingBody() {
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(5)), .method(channel: 1, Self.publish)],
            channel: 1, reasonContains: "expected content body for basic.publish")
    }

    @Test func headerWithTheWrongClassID() {
        Self.expectUnexpectedFrame(
            [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(1, classID: 50))],
            channel: 1, reasonContains: "content header for class 50 after basic.publish")
    }

    @Test(arguments: [[6] as [Int], [3, 4], [4, 0, 2], [1, 1, 1, 1, 2]])
    func bodyExceedingTheAnnouncedSize(chunks: [Int]) {
        let bodies = chunks.map { Frame.body(channel: 7, ByteBuffer(repeating: 0x61, count: $0)) }
        Self.expectUnexpectedFrame(
            [.method(channel: 7, Self.publish), .header(channel: 7, Self.header(5))] + bodies,
            channel: 7, reasonContains: "exceeds the announced 5")
    }

    // MARK: Size limit (406)

    @Test func bodySizeOverTheMaximumIsContentTooLarge() throws {
        var assembler = CommandAssembler(maximumBodySize: 1000)
        #expect(try assembler.assemble(.method(channel: 1, Self.publish)) == nil)
        let error = wireError { () throws(AMQPWireError) in try assembler.assemble(.header(channel: 1, Self.header(1001))) }
        #expect(error == .contentTooLarge(size: 1001, maximum: 1000))
        #expect(error?.replyCode == 406)
        #expect(error?.replyText == "PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000")
        #expect(ReplyCode(rawValue: 406)?.isHardError == false, "a channel error, not a connection error")
        // The channel's partial content is dropped, so it can carry on after closing.
        #expect(!assembler.isAssembling(channel: 1))
    }

    @Test func bodySizeOfExactlyTheMaximumIsAccepted() throws {
        var assembler = CommandAssembler(maximumBodySize: 3)
        _ = try Self.feed(&assembler, [.method(channel: 1, Self.publish), .header(channel: 1, Self.header(3))])
        #expect(try assembler.assemble(.body(channel: 1, ByteBuffer(string: "abc")))?.body == ByteBuffer(string: "abc"))
    }

    @Test func defaultMaximumIsRabbitMQs128MiB() {
        #expect(CommandAssembler().maximumBodySize == 134_217_728)
    }
}
