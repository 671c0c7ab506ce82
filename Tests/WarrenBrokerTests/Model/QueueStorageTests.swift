import NIOCore
import NIOPosix
import Testing
@testable import WarrenBroker
import WarrenWire

/// Requeued messages go back to the positions they were taken from, ordered by sequence number,
/// however the requeues interleave with deliveries, acks and new publishes; and all of that holds
/// whether the messages are in RAM, paged out, in a delta run, or in a lazy queue.
@Suite struct QueueStorageTests {
    enum Mode: CaseIterable, CustomTestStringConvertible {
        case inMemory, paging, lazy

        var testDescription: String { "\(self)" }
    }

    /// Tiny limits, so a handful of messages already makes delta runs.
    static let limits = QueueStorage.Limits(permittedPositions: 3, loadBatch: 2, backChunk: 2)

    static func makeStorage(_ mode: Mode) -> QueueStorage {
        let pager = Pager(store: PagingStore(base: nil), limit: mode == .paging ? 0 : .max)
        return QueueStorage(pager: pager, journaled: false, lazy: mode == .lazy, limits: limits)
    }

    static func entry(_ sequence: UInt64, size: Int = 1) -> QueueEntry {
        QueueEntry(message: Message.make(exchange: "", routingKey: "q", properties: BasicProperties(),
                                    body: ByteBuffer(repeating: 0x61, count: size)),
                   sequence: sequence)
    }

    static func storage(_ sequences: ClosedRange<UInt64>, _ mode: Mode) -> QueueStorage {
        let storage = makeStorage(mode)
        for sequence in sequences { storage.append(entry(sequence, size: Int(sequence))) }
        return storage
    }

    static func sequences(_ storage: QueueStorage) -> [UInt64] {
        storage.peek(Int.max).map(\.sequence)
    }

    static func take(_ count: Int, from storage: QueueStorage) -> [QueueEntry] {
        (0..<count).compactMap { _ in storage.popFirst() }
    }

    static func expectConsistent(_ storage: QueueStorage, sourceLocation: SourceLocation = #_sourceLocation) {
        let entries = storage.peek(Int.max)
        #expect(storage.count == entries.count, sourceLocation: sourceLocation)
        let states = storage.stateCounts
        #expect(states.alpha + states.beta + states.gamma + states.delta == storage.count, sourceLocation: sourceLocation)
        #expect(entries.allSatisfy { $0.message.body.readableBytesView.allSatisfy { $0 == 0x61 } },
                sourceLocation: sourceLocation)
        #expect(storage.bytes == entries.reduce(0) { $0 + $1.message.bodySize }, sourceLocation: sourceLocation)
        // The alphas' bytes (message_bytes_ram): all of them when nothing is paged, none when all is.
        #expect((0...storage.bytes).contains(storage.alphaBytes), sourceLocation: sourceLocation)
        if states.alpha == storage.count { #expect(storage.alphaBytes == storage.bytes, sourceLocation: sourceLocation) }
        if states.alpha == 0 { #expect(storage.alphaBytes == 0, sourceLocation: sourceLocation) }
        #expect((0...states.delta).contains(storage.pagedOutTransient.count), sourceLocation: sourceLocation)
        #expect(storage.first?.sequence == entries.first?.sequence, sourceLocation: sourceLocation)
    }

    @Test(arguments: Mode.allCases) func requeueAllGoesBackInFront(mode: Mode) {
        let storage = Self.storage(1...5, mode)
        let taken = Self.take(3, from: storage)
        storage.requeue(taken)
        #expect(Self.sequences(storage) == [1, 2, 3, 4, 5])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeueInAnyOrderIsSortedBySequence(mode: Mode) {
        let storage = Self.storage(1...5, mode)
        let taken = Self.take(3, from: storage)
        storage.requeue(taken.reversed())
        #expect(Self.sequences(storage) == [1, 2, 3, 4, 5])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeueSomeAfterOthersWereAcked(mode: Mode) {
        let storage = Self.storage(1...6, mode)
        let taken = Self.take(4, from: storage)
        // 1 and 3 acked; 4 and 2 rejected with requeue.
        storage.requeue([taken[3], taken[1]])
        #expect(Self.sequences(storage) == [2, 4, 5, 6])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeuesInterleavedWithDeliveries(mode: Mode) {
        let storage = Self.storage(1...6, mode)
        var unacked = Self.take(3, from: storage)  // 1, 2, 3
        storage.requeue([unacked.remove(at: 1)])  // 2 back
        #expect(Self.sequences(storage) == [2, 4, 5, 6])
        unacked += Self.take(2, from: storage)  // 2 again, then 4
        #expect(unacked.map(\.sequence) == [1, 3, 2, 4])
        #expect(Self.sequences(storage) == [5, 6])
        storage.requeue([unacked.remove(at: 1)])  // 3 back
        #expect(Self.sequences(storage) == [3, 5, 6])
        storage.requeue([unacked[2], unacked[0]])  // 4 and 1 back
        #expect(Self.sequences(storage) == [1, 3, 4, 5, 6])
        storage.requeue([unacked[1]])  // 2 back
        #expect(Self.sequences(storage) == [1, 2, 3, 4, 5, 6])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeueBehindNewPublishes(mode: Mode) {
        let storage = Self.storage(1...3, mode)
        let taken = Self.take(3, from: storage)
        storage.append(Self.entry(4))
        storage.append(Self.entry(5))
        storage.requeue([taken[2], taken[0]])
        #expect(Self.sequences(storage) == [1, 3, 4, 5])
        storage.append(Self.entry(6))
        storage.requeue([taken[1]])
        #expect(Self.sequences(storage) == [1, 2, 3, 4, 5, 6])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeueIntoAnEmptyStorage(mode: Mode) {
        let storage = Self.storage(1...3, mode)
        let taken = Self.take(3, from: storage)
        #expect(storage.count == 0 && storage.bytes == 0 && storage.first == nil)
        storage.requeue([taken[1]])
        storage.requeue([taken[2], taken[0]])
        #expect(Self.sequences(storage) == [1, 2, 3])
        Self.expectConsistent(storage)
    }

    @Test(arguments: Mode.allCases) func requeueNothing(mode: Mode) {
        let storage = Self.storage(1...3, mode)
        storage.requeue([])
        #expect(Self.sequences(storage) == [1, 2, 3])
        Self.expectConsistent(storage)
    }

    /// Random deliveries, acks, requeues and publishes against the obvious model: the ready
    /// messages are always exactly the ones not taken, in sequence order.
    ///
    /// Seconds of work in a debug build: it runs on a thread of its own (``DedicatedThread``).
    @Test(arguments: Mode.allCases) func randomInterleavingsMatchTheModel(mode: Mode) async {
        await withTaskExecutorPreference(DedicatedThread.shared) { Self.randomInterleavings(mode: mode) }
    }

    static func randomInterleavings(mode: Mode) {
        var rng = TopicRouterScaleTests.SeededGenerator(state: 7)
        let storage = Self.makeStorage(mode)
        var next: UInt64 = 1
        var ready: [UInt64] = []
        var unacked: [QueueEntry] = []
        for step in 0..<2_500 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...2:
                storage.append(Self.entry(next, size: Int(next % 7)))
                ready.append(next)
                next += 1
            case 3...5:
                for entry in Self.take(Int.random(in: 1...3, using: &rng), from: storage) {
                    #expect(entry.sequence == ready.removeFirst())
                    unacked.append(entry)
                }
            case 6:
                if !unacked.isEmpty { unacked.remove(at: Int.random(in: 0..<unacked.count, using: &rng)) }
            default:
                unacked.shuffle(using: &rng)
                let count = Int.random(in: 0...unacked.count, using: &rng)
                let back = Array(unacked.prefix(count))
                unacked.removeFirst(count)
                storage.requeue(back)
                ready = (ready + back.map(\.sequence)).sorted()
                if mode != .inMemory { storage.reduceMemory() }
            }
            // Peeking reads every paged message back, which is slow in a debug build.
            if mode == .inMemory || step % 16 == 0 { #expect(Self.sequences(storage) == ready) }
        }
        Self.expectConsistent(storage)
        let rest = Self.take(storage.count, from: storage)
        #expect(rest.map(\.sequence) == ready)
        #expect(storage.stateCounts == MessageStateCounts())
        #expect(storage.memory == 0 && storage.pager.memory == 0)
        // Everything paged out was read back and let go: no record, no file is left.
        #expect(storage.pager.store.messageCount == 0 && storage.pager.store.segmentCount == 0)
        if mode != .inMemory { #expect(storage.pager.store.bytesWritten > 0) }
    }

    /// Through the queue: requeued messages come back first, in order, marked redelivered, and
    /// a priority queue puts each back into its own priority.
    @Test func brokerQueueRequeue() throws {
        let vhost = VirtualHost(name: "/", eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let queue = BrokerQueue(name: "q", durable: false, autoDelete: false, exclusiveOwner: nil, arguments: [:],
                                settings: try QueueArguments(["x-max-priority": 5], queue: "q", vhost: "/"),
                                vhost: vhost)
        for (index, priority) in [0, 5, 0, 5, 0].enumerated() {
            var properties = BasicProperties()
            properties.priority = UInt8(priority)
            _ = queue.enqueue(Message.make(exchange: "", routingKey: "q", properties: properties,
                                      body: ByteBuffer(string: "m\(index)-p\(priority)")))
        }
        let taken = (0..<4).compactMap { _ in queue.get() }
        #expect(taken.map { String(buffer: $0.message.body) } == ["m1-p5", "m3-p5", "m0-p0", "m2-p0"])
        queue.requeue([taken[3], taken[0], taken[2]])
        let again = (0..<4).compactMap { _ in queue.get() }
        #expect(again.map { String(buffer: $0.message.body) } == ["m1-p5", "m0-p0", "m2-p0", "m4-p0"])
        #expect(again.map(\.redelivered) == [true, true, true, false])
        #expect(queue.readyCount == 0 && queue.readyBytes == 0)
    }
}
