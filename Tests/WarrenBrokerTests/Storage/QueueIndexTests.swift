import NIOCore
import Testing
@testable import WarrenBroker

@Suite struct QueueIndexTests {
    @Test func replayKeepsOrderDeliveryAndDropsAcked() {
        var index = QueueIndex()
        var records: [ByteBuffer] = []
        for position in 1...6 as ClosedRange<UInt64> {
            records.append(index.publish(position, messageID: 100 + position, expiresAt: position == 2 ? 12345 : 0))
        }
        records.append(index.deliver(1)!)
        records.append(index.deliver(3)!)
        #expect(index.deliver(3) == nil, "a second delivery adds no record")
        records.append(index.ack(3)!.record)
        #expect(index.ack(3) == nil)
        records.append(index.ack(5)!.record)

        let replayed = QueueIndex.replay(records)
        #expect(replayed.map(\.position) == [1, 2, 4, 6])
        #expect(replayed.map(\.entry.messageID) == [101, 102, 104, 106])
        #expect(replayed.map(\.entry.delivered) == [true, false, false, false])
        #expect(replayed[1].entry.expiresAt == 12345)
        #expect(index.live.count == 4)
    }

    @Test func rewriteHasTheSameContentInFewerRecords() {
        var index = QueueIndex()
        var records: [ByteBuffer] = []
        for position in 1...5000 as ClosedRange<UInt64> {
            records.append(index.publish(position, messageID: position))
            records.append(index.deliver(position)!)
            if position < 4990 { records.append(index.ack(position)!.record) }
        }
        #expect(index.wantsRewrite)
        let compact = index.rewrite()
        #expect(compact.count == 22)
        #expect(!index.wantsRewrite)
        #expect(QueueIndex.replay(compact).map(\.position) == QueueIndex.replay(records).map(\.position))
        #expect(QueueIndex.replay(compact).allSatisfy { $0.entry.delivered })
    }

    @Test func malformedRecordsAreSkipped() {
        var index = QueueIndex()
        var junk = ByteBuffer()
        junk.writeInteger(UInt8(9))
        let records = [index.publish(1, messageID: 1), junk, ByteBuffer(bytes: [1, 0, 0])]
        #expect(QueueIndex.replay(records).map(\.position) == [1])
    }
}
