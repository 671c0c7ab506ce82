import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The broker's durable storage, driven from the event loop: collects the records that queues
/// and the message store produce into a batch, hands the batch to the storage thread, and runs
/// what waits for it (publisher confirms) once it is fsynced. One batch is on disk at a time;
/// records arriving meanwhile form the next one (group commit). A batch goes out as soon as
/// something waits for it, otherwise after `commitInterval`.
final class Persistence {
    let directory: String
    let eventLoop: any EventLoop
    var store: MessageStore
    /// Called on the loop after each batch is on disk (the broker flushes publisher confirms).
    var onSynced: () -> Void = {}
    /// Every vhost, for writing the definitions file.
    var topology: () -> [VirtualHost] = { [] }
    /// Every user, for writing the definitions file.
    var users: () -> [BrokerConfiguration.User] = { [] }
    var permissions: () -> ([Permission], [TopicPermission]) = { ([], []) }
    private(set) var bytesWritten = 0

    static let commitInterval = TimeAmount.milliseconds(5)

    private let threadPool: NIOThreadPool
    private let writer: DiskWriter
    private var ops: [DiskOp] = []
    private var waiters: [(Bool) -> Void] = []
    /// Confirms waiting for a message, by store id, that may go before its batch is on disk
    /// if every queue lets go of the message first.
    private var confirmsByMessage: [UInt64: [DiskConfirm]] = [:]
    /// The store ids registered there for the next batch, and for the batch on disk now.
    private var confirmIDs: [UInt64] = []
    private var confirmIDsInFlight: [UInt64] = []
    private var definitionsDirty = false
    private var inFlight = false
    private var flushOnTick = false
    private var timer: Scheduled<Void>?
    private var closePromise: EventLoopPromise<Void>?

    init(directory: String, eventLoop: any EventLoop, store: MessageStore, writer: DiskWriter) {
        self.directory = directory
        self.eventLoop = eventLoop
        self.store = store
        self.writer = writer
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
    }

    var definitionsPath: String { directory + "/definitions" }
    static func storeDirectory(_ directory: String) -> String { directory + "/msg_store" }
    static func indexDirectory(_ directory: String) -> String { directory + "/queues" }

    func segmentPath(_ number: UInt32) -> String {
        Self.segmentPath(number, in: directory)
    }

    static func segmentPath(_ number: UInt32, in directory: String) -> String {
        storeDirectory(directory) + "/" + String(number) + ".seg"
    }

    /// A queue's index file: named by a hash of vhost and queue name, so any name is safe.
    static func indexPath(vhost: String, queue: String, in directory: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in vhost.utf8 + [0] + queue.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return indexDirectory(directory) + "/" + String(repeating: "0", count: 16 - hex.count) + hex + ".idx"
    }

    /// The journal for a newly declared queue, or nil if the queue is not durable.
    func journal(for queue: BrokerQueue, index: QueueIndex = QueueIndex()) -> QueueJournal? {
        guard queue.durable else { return nil }
        return QueueJournal(persistence: self, path: Self.indexPath(vhost: queue.vhost.name, queue: queue.name,
                                                                     in: directory), index: index)
    }

    // MARK: Batching

    func submit(_ op: DiskOp) {
        ops.append(op)
        scheduleFlush(urgent: false)
    }

    /// Stores a message (once) and returns its id; the caller records the reference.
    func reference(_ message: Message) -> UInt64 {
        let (id, payload, actions) = store.reference(message)
        run(actions, payload: payload)
        return id
    }

    func release(_ id: UInt64) {
        run(store.release(id), payload: nil)
        if !confirmsByMessage.isEmpty, store.entries[id] == nil, let confirms = confirmsByMessage.removeValue(forKey: id) {
            for confirm in confirms { confirm.complete(written: true) }
        }
    }

    /// Lets `confirm` go as soon as no queue holds message `id`, if that comes before the sync.
    func confirmWhenReleased(_ id: UInt64, _ confirm: DiskConfirm) {
        confirmsByMessage[id, default: []].append(confirm)
        confirmIDs.append(id)
    }

    private func run(_ actions: [MessageStore.Action], payload: ByteBuffer?) {
        for action in actions {
            switch action {
            case .write(let segment, _):
                if let payload { submit(.append(path: segmentPath(segment), payloads: [payload])) }
            case .delete(let segment):
                submit(.delete(path: segmentPath(segment)))
            case .compact(let segment, let keep, let into):
                submit(.compact(source: segmentPath(segment), keep: keep, into: segmentPath(into)))
            }
        }
    }

    /// The durable topology changed: the definitions file is rewritten with the next batch.
    func topologyChanged() {
        definitionsDirty = true
        scheduleFlush(urgent: false)
    }

    /// Runs `action` on the loop once everything submitted so far is on disk (true), or could
    /// not be written (false).
    func whenSynced(_ action: @escaping (Bool) -> Void) {
        waiters.append(action)
        scheduleFlush(urgent: true)
    }

    private func scheduleFlush(urgent: Bool) {
        guard !inFlight else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        if urgent {
            guard !flushOnTick else { return }
            flushOnTick = true
            timer?.cancel()
            timer = nil
            // After the current read batch, so one fsync covers everything it published.
            eventLoop.execute {
                bound.value.flushOnTick = false
                bound.value.flush()
            }
        } else if timer == nil && !flushOnTick {
            timer = eventLoop.scheduleTask(in: Self.commitInterval) {
                bound.value.timer = nil
                bound.value.flush()
            }
        }
    }

    private func flush() {
        guard !inFlight else { return }
        if definitionsDirty {
            definitionsDirty = false
            let (permissions, topicPermissions) = permissions()
            let definitions = Definitions(topology(), users: users(), permissions: permissions,
                                          topicPermissions: topicPermissions)
            ops.insert(.replace(path: definitionsPath, payloads: definitions.records()), at: 0)
        }
        guard !ops.isEmpty || !waiters.isEmpty else {
            closePromise?.succeed()
            closePromise = nil
            return
        }
        let batch = ops
        let bound = NIOLoopBound((self, waiters), eventLoop: eventLoop)
        ops = []
        waiters = []
        confirmIDsInFlight = confirmIDs
        confirmIDs = []
        inFlight = true
        let writer = self.writer
        threadPool.runIfActive(eventLoop: eventLoop) { try writer.perform(batch) }.whenComplete { result in
            let (persistence, done) = bound.value
            persistence.finished(result, done)
        }
    }

    private func finished(_ result: Result<Int, any Error>, _ done: [(Bool) -> Void]) {
        inFlight = false
        switch result {
        case .success(let bytes):
            bytesWritten += bytes
            for action in done { action(true) }
        case .failure(let error):
            let line = "warren broker: storage write failed: \(error)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            for action in done { action(false) }
        }
        for id in confirmIDsInFlight { confirmsByMessage[id] = nil }
        confirmIDsInFlight = []
        onSynced()
        if closePromise != nil || !waiters.isEmpty {
            flush()
        } else if !ops.isEmpty || definitionsDirty {
            scheduleFlush(urgent: false)
        }
    }

    /// Writes everything pending, then stops the storage thread.
    func close() -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        closePromise = promise
        timer?.cancel()
        timer = nil
        flush()
        let pool = threadPool
        let writer = self.writer
        return promise.futureResult.flatMap { [eventLoop] in
            let done = eventLoop.makePromise(of: Void.self)
            pool.shutdownGracefully { _ in
                writer.closeAll()
                done.succeed()
            }
            return done.futureResult
        }
    }
}

/// A durable queue's link to storage: it keeps the queue's ``QueueIndex`` and turns queue events
/// into index records and message-store references. Only persistent messages are recorded.
final class QueueJournal {
    unowned let persistence: Persistence
    let path: String
    private(set) var index: QueueIndex

    init(persistence: Persistence, path: String, index: QueueIndex) {
        self.persistence = persistence
        self.path = path
        self.index = index
    }

    /// Stores a persistent message (once for all queues) and records its position.
    func published(_ entry: QueueEntry) {
        guard entry.message.isPersistent else { return }
        let id = persistence.reference(entry.message)
        let record = index.publish(entry.sequence, messageID: id, expiresAt: Self.wallClock(entry.expiresAt))
        persistence.submit(.append(path: path, payloads: [record]))
    }

    func delivered(_ entry: QueueEntry) {
        guard let record = index.deliver(entry.sequence) else { return }
        persistence.submit(.append(path: path, payloads: [record]))
    }

    /// The entry left the queue for good: acked, consumed without ack, dropped or dead-lettered.
    func removed(_ entry: QueueEntry) {
        removed(sequence: entry.sequence)
    }

    func removed(sequence: UInt64) {
        guard let (record, id) = index.ack(sequence) else { return }
        if index.live.isEmpty && index.recordsInFile > 4096 {
            _ = index.rewrite()
            persistence.submit(.replace(path: path, payloads: []))
        } else if index.wantsRewrite {
            persistence.submit(.replace(path: path, payloads: index.rewrite()))
        } else {
            persistence.submit(.append(path: path, payloads: [record]))
        }
        persistence.release(id)
    }

    /// The queue was deleted: its index goes, and with it its references.
    func deleted() {
        for entry in index.live.values { persistence.release(entry.messageID) }
        index = QueueIndex()
        persistence.submit(.delete(path: path))
        // Also when no client asked for it: auto-delete, x-expires.
        persistence.topologyChanged()
    }

    /// Unix milliseconds for a loop deadline (0 for none): deadlines do not survive a restart.
    static func wallClock(_ deadline: NIODeadline?) -> Int64 {
        guard let deadline else { return 0 }
        let remaining = (deadline - .now()).nanoseconds / 1_000_000
        return nowMilliseconds() + max(remaining, 0)
    }

    static func deadline(_ wallClock: Int64) -> NIODeadline? {
        guard wallClock > 0 else { return nil }
        return .now() + .milliseconds(max(wallClock - nowMilliseconds(), 0))
    }

    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
