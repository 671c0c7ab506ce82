import NIOCore
import Testing
import WarrenWire
@testable import WarrenBroker

@Suite struct MessageStoreTests {
    private func message(_ body: String, size: Int = 0) -> Message {
        var buffer = ByteBuffer(string: body)
        buffer.writeRepeatingByte(0x2A, count: size)
        return Message.make(exchange: "ex", routingKey: "key", properties: BasicProperties(headers: ["h": .int32(1)], deliveryMode: 2),
                       body: buffer, routes: ["key", "cc"])
    }

    @Test func storedMessageRoundTrips() throws {
        let original = message("hello")
        let (id, decoded) = try #require(StoredMessage.decode(StoredMessage.encode(id: 42, original)))
        #expect(id == 42)
        #expect(decoded.exchange == "ex" && decoded.routingKey == "key" && decoded.routes == ["key", "cc"])
        #expect(decoded.body == original.body)
        #expect(decoded.properties == original.properties)
        #expect(StoredMessage.id(of: StoredMessage.encode(id: 7, original)) == 7)
    }

    @Test func aMessageInFourQueuesIsWrittenOnceAndDiesWithItsLastReference() {
        var store = MessageStore()
        let shared = message("fanout", size: 10_000)
        var payloads = 0
        var ids = Set<UInt64>()
        for _ in 0..<4 {
            let (id, payload, _) = store.reference(shared)
            ids.insert(id)
            if payload != nil { payloads += 1 }
        }
        #expect(payloads == 1 && ids.count == 1)
        #expect(store.bytesStored < 10_200)
        let id = ids.first!
        #expect(store.entries[id]?.references == 4)
        for _ in 0..<3 { #expect(store.release(id).isEmpty) }
        #expect(store.entries[id]?.references == 1)
        _ = store.release(id)
        #expect(store.entries[id] == nil)
        #expect(store.release(id).isEmpty, "releasing an unknown id is harmless")
    }

    @Test func segmentsRollAndDeadOnesAreDeleted() {
        var store = MessageStore(segmentSize: 1000)
        var ids: [UInt64] = []
        var actions: [MessageStore.Action] = []
        for number in 0..<10 {
            let result = store.reference(message("m\(number)", size: 300))
            ids.append(result.id)
            actions += result.actions
        }
        #expect(store.currentSegment > 3)
        #expect(store.entries[ids[0]]?.segment == 1 && store.entries[ids[9]]?.segment == store.currentSegment)
        var deleted: [MessageStore.Action] = []
        for id in ids.prefix(3) { deleted += store.release(id) }
        #expect(deleted.contains(.delete(segment: 1)))
        #expect(store.segments[1] == nil)
    }

    @Test func aMostlyDeadSegmentIsCompactedIntoTheCurrentOne() {
        var store = MessageStore(segmentSize: 1000)
        let ids = (0..<4).map { store.reference(message("m\($0)", size: 150)).id }
        _ = store.reference(message("next", size: 900))
        let current = store.currentSegment
        #expect(store.entries[ids[0]]?.segment == 1 && current == 2)
        #expect(store.release(ids[0]).isEmpty)
        #expect(store.release(ids[1]).isEmpty)
        let actions = store.release(ids[2])
        #expect(actions == [.compact(segment: 1, keep: [ids[3]], into: current)])
        #expect(store.entries[ids[3]]?.segment == current)
        #expect(store.segments[1] == nil)
    }

    @Test func idsStayUniqueAfterRecovery() {
        var store = MessageStore(currentSegment: 5, nextID: 1)
        store.restore(id: 90, segment: 3, size: 100, references: 2)
        #expect(store.nextID == 91)
        #expect(store.restoreSegment(3, totalBytes: 100).isEmpty)
        #expect(store.reference(message("new")).id == 91)
        #expect(store.release(90).isEmpty)
        #expect(store.release(90) == [.delete(segment: 3)])
    }
}
