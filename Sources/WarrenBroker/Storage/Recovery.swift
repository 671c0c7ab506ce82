import NIOCore

/// Reads a data directory back after a clean stop or a crash: the definitions, every durable
/// queue's index, and the message store segments. Torn or corrupt tails end each file; an index
/// entry whose message record did not survive is dropped. Reference counts are rebuilt from the
/// indexes, segments without live messages are deleted and indexes are rewritten compactly.
///
/// Unchecked: built by the task starting the broker and handed once to the event loop, which is
/// the only one to touch it (and its messages) afterwards.
struct Recovery: @unchecked Sendable {
    struct RecoveredQueue {
        var definition: Definitions.QueueDefinition
        var entries: [(position: UInt64, entry: QueueIndex.Entry, message: Message)]
    }

    var definitions = Definitions()
    /// The directory had a definitions file: it is not fresh.
    var foundDefinitions = false
    var queues: [RecoveredQueue] = []
    var store: MessageStore
    /// Bytes of torn or corrupt tails that were dropped, per file.
    var droppedBytes: [String: Int] = [:]
    /// The tidying after recovery (index rewrites, segment compactions) that could not be done,
    /// on a full disk say: the files stay as they were, which recovers the same way next time.
    var tidyingFailures: [String] = []

    /// Runs before the broker serves anyone, so plain blocking file I/O is fine here.
    static func recover(directory: String, segmentSize: Int, writer: DiskWriter) throws -> Recovery {
        try DiskWriter.makeDirectory(Persistence.storeDirectory(directory))
        try DiskWriter.makeDirectory(Persistence.indexDirectory(directory))
        try writer.lock(directory)
        var recovery = Recovery(store: MessageStore(segmentSize: segmentSize))
        var cleanup: [DiskOp] = []

        if let file = try DiskWriter.readFile(directory + "/definitions") {
            recovery.definitions = Definitions(records: RecordFormat.scan(file).records)
            recovery.foundDefinitions = true
        }

        // Indexes: what each durable queue still holds.
        var indexes: [(Definitions.QueueDefinition, [(position: UInt64, entry: QueueIndex.Entry)])] = []
        var wanted: [UInt64: Int] = [:]
        var knownIndexes = Set<String>()
        for queue in recovery.definitions.queues {
            let path = Persistence.indexPath(vhost: queue.vhost, queue: queue.name, in: directory)
            knownIndexes.insert(path)
            var entries: [(position: UInt64, entry: QueueIndex.Entry)] = []
            if let file = try DiskWriter.readFile(path) {
                let scan = RecordFormat.scan(file)
                if scan.droppedBytes > 0 { recovery.droppedBytes[path] = scan.droppedBytes }
                entries = QueueIndex.replay(scan.records)
            }
            for item in entries { wanted[item.entry.messageID, default: 0] += 1 }
            indexes.append((queue, entries))
        }
        for name in DiskWriter.list(Persistence.indexDirectory(directory)) {
            let path = Persistence.indexDirectory(directory) + "/" + name
            if !knownIndexes.contains(path) { cleanup.append(.delete(path: path)) }
        }

        // Segments, oldest first: the messages the indexes refer to.
        let segmentNumbers = DiskWriter.list(Persistence.storeDirectory(directory)).compactMap { name -> UInt32? in
            guard name.hasSuffix(".seg") else {
                cleanup.append(.delete(path: Persistence.storeDirectory(directory) + "/" + name))
                return nil
            }
            return UInt32(name.dropLast(4))
        }.sorted()
        var messages: [UInt64: Message] = [:]
        var segmentSizes: [UInt32: Int] = [:]
        var highestID: UInt64 = 0
        for number in segmentNumbers {
            let path = Persistence.segmentPath(number, in: directory)
            guard let file = try DiskWriter.readFile(path) else { continue }
            let scan = RecordFormat.scan(file)
            if scan.droppedBytes > 0 { recovery.droppedBytes[path] = scan.droppedBytes }
            segmentSizes[number] = scan.validLength
            for record in scan.records {
                guard let id = StoredMessage.id(of: record) else { continue }
                highestID = max(highestID, id)
                // A compaction interrupted by a crash can leave a record in two segments.
                guard let references = wanted[id], messages[id] == nil,
                      let (_, message) = StoredMessage.decode(record)
                else { continue }
                message.storeID = id
                messages[id] = message
                recovery.store.restore(id: id, segment: number, size: record.readableBytes + RecordFormat.headerSize,
                                       references: references)
            }
        }

        // Entries whose message survived; recount references for those that did not.
        for (definition, entries) in indexes {
            var kept: [(position: UInt64, entry: QueueIndex.Entry, message: Message)] = []
            for item in entries {
                if let message = messages[item.entry.messageID] { kept.append((item.position, item.entry, message)) }
            }
            recovery.queues.append(RecoveredQueue(definition: definition, entries: kept))
            let path = Persistence.indexPath(vhost: definition.vhost, queue: definition.name, in: directory)
            cleanup.append(.replace(path: path, payloads: QueueIndex.records(for: kept.map { ($0.position, $0.entry) })))
        }

        // New writes go to a fresh segment, never after a possibly torn tail.
        var store = MessageStore(segmentSize: segmentSize, currentSegment: (segmentNumbers.last ?? 0) + 1,
                                 nextID: highestID + 1)
        for (id, entry) in recovery.store.entries {
            store.restore(id: id, segment: entry.segment, size: entry.size, references: entry.references)
        }
        for number in segmentNumbers {
            for action in store.restoreSegment(number, totalBytes: segmentSizes[number] ?? 0) {
                switch action {
                case .delete(let segment):
                    cleanup.append(.delete(path: Persistence.segmentPath(segment, in: directory)))
                case .compact(let segment, let keep, let into):
                    cleanup.append(.compact(source: Persistence.segmentPath(segment, in: directory), keep: keep,
                                            into: Persistence.segmentPath(into, in: directory)))
                case .write:
                    break
                }
            }
        }
        recovery.store = store
        // One at a time, and none fatal: a broker on a full disk must still start, so that its
        // messages can be consumed (each rewrite is atomic, a failed compaction leaves its source).
        for op in cleanup {
            do {
                _ = try writer.perform([op])
            } catch {
                recovery.tidyingFailures.append("\(error)")
            }
        }
        return recovery
    }
}
