import NIOCore
import Testing
@testable import WarrenBroker
import WarrenWire

/// What a queued message costs in RAM comes from these layouts (Benchmarks/queue-memory.md
/// measures the whole): the body lives inside the message object, and a queue slot is 40 bytes.
@Suite struct MessageLayoutTests {
    @Test func theBodyIsCopiedIntoTheMessage() {
        var readBuffer = ByteBuffer(string: String(repeating: "x", count: 4000) + "the body" + "trailing frames")
        readBuffer.moveReaderIndex(forwardBy: 4000)
        let slice = readBuffer.getSlice(at: readBuffer.readerIndex, length: 8)!
        let message = Message.make(exchange: "ex", routingKey: "key", properties: BasicProperties(), body: slice)
        readBuffer.setString("XXXXXXXX", at: readBuffer.readerIndex)
        #expect(message.bodySize == 8)
        #expect(String(buffer: message.body) == "the body")
        #expect(message.withBody { Array($0) } == Array("the body".utf8))
    }

    /// A large body that fills its own buffer (assembled from several frames) is kept, not
    /// copied; a large one that is a view into a bigger buffer is copied out.
    @Test func largeBodiesKeepTheirOwnBuffer() {
        let assembled = ByteBuffer(repeating: 7, count: 200_000)
        let kept = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: assembled)
        #expect(kept.bodySize == 200_000)
        #expect(kept.body.readableAddress == assembled.readableAddress)
        #expect(kept.withBody { $0.allSatisfy { $0 == 7 } })
        let dead = kept.withNewHeader(exchange: "dlx", routingKey: "k", properties: BasicProperties(), routes: ["k"])
        #expect(dead.body == assembled && dead.body.readableAddress == assembled.readableAddress)

        var segment = ByteBuffer(repeating: 1, count: 1_000_000)
        segment.setRepeatingByte(9, count: 100_000, at: 500_000)
        let slice = segment.getSlice(at: 500_000, length: 100_000)!
        let copied = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: slice)
        #expect(copied.bodySize == 100_000)
        #expect(copied.body.readableAddress != segment.readableAddress)
        #expect(copied.withBody { $0.allSatisfy { $0 == 9 } })
    }

    @Test func anEmptyBody() {
        let message = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: ByteBuffer())
        #expect(message.bodySize == 0)
        #expect(message.body.readableBytes == 0)
    }

    @Test func idsStartUnset() {
        let message = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: ByteBuffer(string: "m"))
        #expect(message.storeID == nil && message.pagedID == nil)
        message.storeID = 7
        message.pagedID = 9
        #expect(message.storeID == 7 && message.pagedID == 9)
        message.pagedID = nil
        #expect(message.pagedID == nil && message.storeID == 7)
    }

    @Test func routesAreSharedUnlessTheyDiffer() {
        let plain = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: ByteBuffer(),
                                 routes: ["q"])
        #expect(plain.routes == ["q"])
        let copied = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(), body: ByteBuffer(),
                                  routes: ["q", "cc"])
        #expect(copied.routes == ["q", "cc"])
    }

    /// 76 bytes of fields, then the body: a 64-byte message is one 156-byte allocation.
    @Test func theFieldsLeaveNoPaddingBeforeTheBody() {
        #expect(MemoryLayout<MessageFields>.size == 76)
    }

    @Test func aQueueSlotIsFortyBytes() {
        #expect(MemoryLayout<QueueStorage.Slot>.stride == 40)
        #expect(MemoryLayout<QueueStorage.Slot?>.stride == 40)
    }

    @Test func slotFieldsRoundTrip() {
        let message = Message.make(exchange: "", routingKey: "q", properties: BasicProperties(deliveryMode: 2),
                                   body: ByteBuffer(string: "12345"))
        var entry = QueueEntry(message: message, sequence: 42)
        entry.redelivered = true
        entry.deliveryCount = 3
        let deadline = NIODeadline.uptimeNanoseconds(123_456_789)
        entry.expiresAt = deadline
        let slot = QueueStorage.Slot(entry)
        #expect(slot.size == 5 && slot.persistent && slot.redelivered && slot.sequence == 42)
        #expect(slot.deliveryCount == 3 && slot.expiresAt == deadline)
        var paged = QueueStorage.Slot(paged: 1, sequence: 1, size: 1, persistent: false, redelivered: false,
                                      deliveryCount: Int64(UInt32.max) + 5, expiresAt: nil)
        #expect(paged.expiresAt == nil)
        #expect(paged.deliveryCount == Int64(UInt32.max), "saturates")
        paged.expiresAt = deadline
        #expect(paged.expiresAt == deadline)
    }
}

extension ByteBuffer {
    /// Where the readable bytes are, to tell a shared buffer from a copy.
    fileprivate var readableAddress: Int { withUnsafeReadableBytes { Int(bitPattern: $0.baseAddress) } }
}
