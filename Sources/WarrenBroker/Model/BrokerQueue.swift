import NIOCore
import WarrenWire

/// A classic (or single-node quorum) queue: FIFO storage, consumers served round-robin by
/// priority, TTLs, length limits and dead lettering. Lives on the broker's event loop.
final class BrokerQueue {
    let name: String
    let durable: Bool
    let autoDelete: Bool
    /// The connection that declared it exclusive, if any.
    let exclusiveOwner: ObjectIdentifier?
    let arguments: FieldTable
    /// What the queue's own arguments say.
    let declaredSettings: QueueArguments
    /// What it runs with: its arguments combined with its policy and operator policy.
    private(set) var settings: QueueArguments
    /// The policy and operator policy that apply to it (RabbitMQ's `policy` and `operator_policy`).
    private(set) var policy: Policy?
    private(set) var operatorPolicy: Policy?
    unowned let vhost: VirtualHost

    private(set) var storage: [QueueStorage]
    private(set) var consumers: [QueueConsumer] = []
    private var roundRobin = 0
    private var nextSequence: UInt64 = 1
    private(set) var hadConsumers = false
    private var draining = false
    private var expiryTimer: Scheduled<Void>?
    private var expiryTimerDeadline: NIODeadline?
    private var unusedTimer: Scheduled<Void>?
    private(set) var isDeleted = false
    /// Publishing connections paused because this queue's backlog outran its consumers. Held
    /// weakly: a connection that closes while paused is not kept alive until the queue drains.
    var flowPaused: [ObjectIdentifier: PausedConnection] = [:]

    struct PausedConnection {
        weak var connection: ServerConnection?
    }
    /// Messages delivered when flow control last looked, to tell a queue whose consumers are
    /// taking messages from one whose consumers are stuck.
    private var deliveredAtFlowCheck: UInt64 = 0

    /// Delivered to consumers or fetched with ack, not yet acked.
    private(set) var unackedCount = 0
    /// Body bytes of those unacked messages (for the memory alarm).
    private(set) var unackedBytes = 0
    private(set) var unackedPersistentCount = 0
    private(set) var unackedPersistentBytes = 0
    var stats = QueueStatistics()
    /// Set for durable queues when the broker has a data directory.
    var journal: QueueJournal? {
        didSet {
            let journaled = journal != nil
            for level in storage { level.journaled = journaled }
        }
    }

    init(name: String, durable: Bool, autoDelete: Bool, exclusiveOwner: ObjectIdentifier?, arguments: FieldTable,
         settings: QueueArguments, vhost: VirtualHost) {
        self.name = name
        self.durable = durable
        self.autoDelete = autoDelete
        self.exclusiveOwner = exclusiveOwner
        self.arguments = arguments
        self.declaredSettings = settings
        self.settings = settings
        self.vhost = vhost
        storage = (0...Int(settings.maxPriority ?? 0)).map { _ in
            QueueStorage(pager: vhost.pager, journaled: false, lazy: settings.lazy)
        }
        touch()
    }

    var readyCount: Int { storage.reduce(0) { $0 + $1.count } }
    var readyBytes: Int { storage.reduce(0) { $0 + $1.bytes } }
    var readyPersistentCount: Int { storage.reduce(0) { $0 + $1.persistentCount } }
    var readyPersistentBytes: Int { storage.reduce(0) { $0 + $1.persistentBytes } }
    var stateCounts: MessageStateCounts { storage.reduce(MessageStateCounts()) { $0 + $1.stateCounts } }
    /// Body bytes of ready messages held in RAM (the alphas).
    var readyRAMBytes: Int { storage.reduce(0) { $0 + $1.alphaBytes } }
    var pagedOutTransient: (count: Int, bytes: Int) {
        storage.reduce((0, 0)) { ($0.0 + $1.pagedOutTransient.count, $0.1 + $1.pagedOutTransient.bytes) }
    }
    /// What this queue holds in RAM, as the pager counts it: ready messages in their states, and
    /// unacked ones (always in RAM).
    var memory: Int { storage.reduce(unackedMemory) { $0 + $1.memory } }
    private var unackedMemory = 0

    /// Pages messages out of RAM; the memory monitor calls this under memory pressure.
    func reduceMemory() {
        for level in storage { level.reduceMemory() }
    }
    var consumerCount: Int { consumers.count }
    /// The sequence number the next published message gets (RabbitMQ's next_seq_id).
    var nextSequenceNumber: UInt64 { nextSequence }
    /// The head message, for head_message_timestamp.
    var headEntry: QueueEntry? { head }

    /// A message left the queue for a consumer or basic.get and waits for its ack.
    func noteUnacked(_ entry: QueueEntry) {
        let size = entry.message.bodySize
        unackedCount += 1
        unackedBytes += size
        unackedMemory += Pager.memory(ofResident: size)
        vhost.pager.adjust(by: Pager.memory(ofResident: size))
        if entry.message.isPersistent {
            unackedPersistentCount += 1
            unackedPersistentBytes += size
        }
    }

    /// An unacked message was acked, rejected or requeued.
    func noteSettled(_ entry: QueueEntry) {
        let size = entry.message.bodySize
        unackedCount -= 1
        unackedBytes -= size
        unackedMemory -= Pager.memory(ofResident: size)
        if !isDeleted { vhost.pager.adjust(by: -Pager.memory(ofResident: size)) }
        if entry.message.isPersistent {
            unackedPersistentCount -= 1
            unackedPersistentBytes -= size
        }
    }

    // MARK: Publishing

    enum EnqueueOutcome {
        case enqueued
        /// x-overflow reject-publish(-dlx) refused it: the publisher gets a nack.
        case rejected
    }

    func enqueue(_ message: Message) -> EnqueueOutcome {
        if isFullForReject(adding: message) {
            if settings.overflow == .rejectPublishDLX {
                deadLetter(QueueEntry(message: message, sequence: 0), reason: .maxlen)
            }
            return .rejected
        }
        var entry = QueueEntry(message: message, sequence: nextSequence)
        nextSequence += 1
        if let ttl = Self.lower(settings.messageTTL, message.expirationMilliseconds) {
            entry.expiresAt = .now() + .milliseconds(ttl)
        }
        journal?.published(entry)
        storage[priorityIndex(message)].append(entry)
        stats.published += 1
        drain()
        if entry.expiresAt != nil { scheduleExpiry() }
        enforceLengthLimit()
        if settings.kind == .quorum && settings.overflow != .dropHead && quorumOverLimit { quorumRejecting = true }
        return .enqueued
    }

    private static func lower(_ a: Int64?, _ b: Int64?) -> Int64? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    private func priorityIndex(_ message: Message) -> Int {
        guard let max = settings.maxPriority else { return 0 }
        return Int(min(message.properties.priority ?? 0, max))
    }

    private func isFullForReject(adding message: Message) -> Bool {
        guard settings.overflow != .dropHead else { return false }
        if settings.kind == .quorum {
            if quorumRejecting && quorumBelowSoftLimit { quorumRejecting = false }
            return quorumRejecting || quorumOverLimit
        }
        if let max = settings.maxLength, readyCount >= max { return true }
        if let max = settings.maxLengthBytes, readyBytes + message.bodySize > max { return true }
        return false
    }

    /// A quorum queue refuses a publish only once it is over its limit, so it takes one message
    /// more than a classic queue, and then refuses until it is down to 80% of the limit
    /// (rabbit_fifo's is_over_limit/1, its reject_publish queue status and is_below_soft_limit/1).
    private var quorumRejecting = false

    private var quorumOverLimit: Bool {
        (settings.maxLength.map { readyCount > $0 } ?? false) || (settings.maxLengthBytes.map { readyBytes > $0 } ?? false)
    }

    private var quorumBelowSoftLimit: Bool {
        (settings.maxLength.map { readyCount <= Int(Double($0) * 0.8) } ?? true)
            && (settings.maxLengthBytes.map { readyBytes <= Int(Double($0) * 0.8) } ?? true)
    }

    private func enforceLengthLimit() {
        guard settings.overflow == .dropHead else { return }
        while let max = settings.maxLength, readyCount > max, let head = popHead() {
            deadLetter(head, reason: .maxlen)
        }
        while let max = settings.maxLengthBytes, readyBytes > max, let head = popHead() {
            deadLetter(head, reason: .maxlen)
        }
    }

    // MARK: Taking messages

    private func popHead() -> QueueEntry? {
        for index in storage.indices.reversed() {
            if let entry = storage[index].popFirst() { return entry }
        }
        return nil
    }

    private var head: QueueEntry? {
        for index in storage.indices.reversed() {
            if let entry = storage[index].first { return entry }
        }
        return nil
    }

    /// Drops (dead-letters) expired messages at the head, as RabbitMQ does: a message expires
    /// when it reaches the head of the queue.
    private func expireHead() {
        guard head?.expiresAt != nil else { return }
        let now = NIODeadline.now()
        while let entry = head, let expiresAt = entry.expiresAt, expiresAt <= now {
            _ = popHead()
            deadLetter(entry, reason: .expired)
        }
        scheduleExpiry()
    }

    private func scheduleExpiry() {
        guard let deadline = head?.expiresAt else {
            expiryTimer?.cancel()
            expiryTimer = nil
            expiryTimerDeadline = nil
            return
        }
        if let current = expiryTimerDeadline, current <= deadline { return }
        expiryTimer?.cancel()
        expiryTimerDeadline = deadline
        // The queue lives on its loop, so its timers need not be Sendable.
        let loop = vhost.eventLoop.assumeIsolatedUnsafeUnchecked()
        expiryTimer = loop.scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.expiryTimerDeadline = nil
            self.expiryTimer = nil
            self.expireHead()
        }
    }

    /// `basic.get`: the head message, or nil.
    func get() -> QueueEntry? {
        touch()
        expireHead()
        guard let entry = popHead() else {
            stats.getEmpty += 1
            return nil
        }
        // get-ok reports what is left, and RabbitMQ drops a head that expired meanwhile first.
        expireHead()
        return entry
    }

    /// Delivers ready messages to consumers that can take them.
    func drain() {
        defer { if !flowPaused.isEmpty { releaseFlow() } }
        guard !draining, !consumers.isEmpty else { return }
        draining = true
        defer { draining = false }
        while true {
            expireHead()
            guard head != nil, let consumer = nextConsumer(), let entry = popHead() else { break }
            consumer.channel.deliver(entry, from: self, to: consumer)
        }
        scheduleExpiry()
    }

    private func nextConsumer() -> QueueConsumer? {
        if settings.singleActiveConsumer {
            guard let active = consumers.first, active.canTakeMore else { return nil }
            return active
        }
        let count = consumers.count
        var best: QueueConsumer?
        var bestIndex = 0
        for offset in 0..<count {
            let index = (roundRobin + offset) % count
            let candidate = consumers[index]
            if candidate.canTakeMore, best == nil || candidate.priority > best!.priority {
                best = candidate
                bestIndex = index
            }
        }
        if best != nil { roundRobin = bestIndex + 1 }
        return best
    }

    /// Puts unacked messages back at their original positions, marked redelivered. A quorum
    /// queue counts the return, and past x-delivery-limit dead-letters the message instead.
    func requeue(_ entries: [QueueEntry]) {
        guard !isDeleted else { return }
        var back: [QueueEntry] = []
        for var entry in entries {
            entry.redelivered = true
            if settings.kind == .quorum {
                entry.deliveryCount += 1
                if let limit = settings.deliveryLimit, entry.deliveryCount > limit {
                    deadLetter(entry, reason: .deliveryLimit)
                    continue
                }
            }
            back.append(entry)
        }
        // One merge per priority level: requeueing entries one by one is quadratic.
        var levels: [Int: [QueueEntry]] = [:]
        for entry in back { levels[priorityIndex(entry.message), default: []].append(entry) }
        for (level, entries) in levels { storage[level].requeue(entries) }
        drain()
        enforceLengthLimit()
    }

    /// Removes every ready message; returns how many.
    func purge() -> Int {
        var count = 0
        for level in storage {
            let removed = level.removeAll()
            for sequence in removed { journal?.removed(sequence: sequence) }
            count += removed.count
        }
        scheduleExpiry()
        return count
    }

    /// The first `limit` ready messages, untouched: no redelivered flag, no delivery count.
    func peek(_ limit: Int) -> [QueueEntry] {
        var result: [QueueEntry] = []
        for index in storage.indices.reversed() where result.count < limit {
            result += storage[index].peek(limit - result.count)
        }
        return result
    }

    // MARK: Consumers

    func addConsumer(_ consumer: QueueConsumer) {
        consumers.append(consumer)
        hadConsumers = true
        touch()
        drain()
    }

    /// Removes a consumer; an auto-delete queue that had consumers goes when the last one leaves.
    func removeConsumer(_ consumer: QueueConsumer) {
        guard let index = consumers.firstIndex(where: { $0 === consumer }) else { return }
        consumers.remove(at: index)
        if roundRobin > index { roundRobin -= 1 }
        touch()
        if autoDelete && consumers.isEmpty && hadConsumers {
            vhost.deleteQueue(self)
        } else {
            drain()
        }
    }

    // MARK: Flow control

    /// Ready messages above which a publisher into a queue whose consumers are taking messages
    /// is paused, and below which it is resumed. Without it a fast publisher fills the broker's
    /// one event loop with reads, consumers get a shrinking share of it and the backlog grows
    /// without end (RabbitMQ's credit flow has the same purpose).
    static let flowHigh = 16384
    static let flowLow = 8192

    /// Whether a publisher into this queue should pause, asked after each publish: its backlog
    /// is over `flowHigh` and its consumers took messages since the previous publish (a queue
    /// whose consumers are stuck does not slow its publishers, as in RabbitMQ).
    func backlogOutrunsConsumers() -> Bool {
        let delivered = stats.delivered + stats.deliveredNoAck
        defer { deliveredAtFlowCheck = delivered }
        return delivered != deliveredAtFlowCheck && readyCount > Self.flowHigh && !consumers.isEmpty
    }

    /// Resumes paused publishers once the backlog is down to `flowLow`, or nothing drains it.
    private func releaseFlow() {
        guard isDeleted || consumers.isEmpty || readyCount <= Self.flowLow else { return }
        let paused = flowPaused
        flowPaused = [:]
        for entry in paused.values { entry.connection?.resumeFlow() }
    }

    /// Called by the vhost when the queue is deleted: consumers hear a basic.cancel.
    func markDeleted() -> Int {
        isDeleted = true
        defer { releaseFlow() }
        expiryTimer?.cancel()
        unusedTimer?.cancel()
        let remaining = consumers
        consumers = []
        for consumer in remaining { consumer.channel.queueCancelled(consumer) }
        var dropped = 0
        for level in storage { dropped += level.removeAll().count }
        vhost.pager.adjust(by: -unackedMemory)
        journal?.deleted()
        journal = nil
        return dropped
    }

    /// Restarts the x-expires countdown: declare, consume, get and cancel count as use.
    func touch() {
        unusedTimer?.cancel()
        guard let expires = settings.expires else {
            unusedTimer = nil
            return
        }
        let loop = vhost.eventLoop.assumeIsolatedUnsafeUnchecked()
        unusedTimer = loop.scheduleTask(in: .milliseconds(expires)) { [weak self] in
            guard let self, !self.isDeleted else { return }
            if self.consumers.isEmpty {
                self.vhost.deleteQueue(self)
            } else {
                self.touch()
            }
        }
    }

    /// Puts messages recovered from disk back, in queue order, before anyone can consume.
    func restore(_ entries: [QueueEntry]) {
        for entry in entries { storage[priorityIndex(entry.message)].append(entry) }
        nextSequence = max(nextSequence, (entries.last?.sequence ?? 0) + 1)
        scheduleExpiry()
    }

    // MARK: Policies

    /// The definition its policy and operator policy give it together (effective_policy_definition).
    var effectivePolicyDefinition: FieldTable { Policy.merged(policy, operatorPolicy) }

    /// Takes a new policy and operator policy, as a RabbitMQ queue process does on
    /// policy_changed (rabbit_amqqueue_process:process_args_policy/1): the settings are worked
    /// out again, the unused-queue countdown restarts with the new expiry, a lower length limit
    /// drops (dead-letters, reason maxlen) messages from the head at once, and expired messages
    /// at the head go. A new message TTL applies to messages published from now on.
    func apply(policy: Policy?, operatorPolicy: Policy?) {
        guard policy != self.policy || operatorPolicy != self.operatorPolicy else { return }
        self.policy = policy
        self.operatorPolicy = operatorPolicy
        settings = declaredSettings.applying(effectivePolicyDefinition, arguments: arguments)
        for level in storage { level.lazy = settings.lazy }
        touch()
        enforceLengthLimit()
        expireHead()
    }

    // MARK: Dead lettering

    func deadLetter(_ entry: QueueEntry, reason: DeadLetterReason) {
        journal?.removed(entry)
        stats.deadLettered += 1
        vhost.deadLetter(entry.message, from: self, reason: reason)
    }
}

/// Counters behind the management API's message_stats, kept where the events happen.
package struct QueueStatistics: Sendable, Equatable {
    package var published: UInt64 = 0
    package var delivered: UInt64 = 0
    package var deliveredNoAck: UInt64 = 0
    package var got: UInt64 = 0
    package var gotNoAck: UInt64 = 0
    package var getEmpty: UInt64 = 0
    package var redelivered: UInt64 = 0
    package var acked: UInt64 = 0
    package var deadLettered: UInt64 = 0

    package init() {}

    /// RabbitMQ's deliver_get: every way a message left the queue for a client.
    package var deliverGet: UInt64 { delivered + deliveredNoAck + got + gotNoAck }
}
