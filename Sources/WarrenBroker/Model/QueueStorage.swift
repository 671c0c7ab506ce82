import NIOCore

/// Where a queue (one priority level of it) keeps its ready messages, in RabbitMQ's four states
/// (rabbit_variable_queue):
///
/// - alpha: message and position in RAM;
/// - beta: message paged out, position in RAM;
/// - gamma: message paged out, position in RAM and on disk;
/// - delta: message and position only on disk.
///
/// In queue order the messages sit in `front` (RabbitMQ's q4 and q3), then the delta run, then
/// `back` (q1 and q2), which is only used while there is a delta run. Under memory pressure new
/// and existing alphas are paged out (to betas, or gammas when the queue index already has their
/// position: persistent messages in durable queues with a data directory), and positions beyond
/// what RAM may hold move to the delta run. Consumers take from `front`; when it runs dry, a
/// batch of positions is read back from the delta run as gammas, and a paged body is read back
/// when its message reaches the head. Lazy queues page every message as it arrives.
final class QueueStorage {
    /// A message's place in the queue: 40 bytes, laid out (Swift keeps declaration order) so that
    /// nothing is padded but the last 4 bytes; a queue of a million messages holds a million.
    struct Slot {
        enum Body {
            case resident(Message)
            case paged(UInt64)
        }

        var body: Body
        var persistent: Bool
        var redelivered: Bool
        /// For a paged slot: gamma (position also on disk) rather than beta.
        var indexOnDisk = false
        /// Bodies are at most 512 MiB (RabbitMQ's largest max_message_size).
        private var size32: UInt32
        var sequence: UInt64
        /// Saturates at 4,294,967,295 deliveries.
        private var deliveryCount32: UInt32
        /// `NIODeadline.uptimeNanoseconds`, or `UInt64.max` for none.
        private var expiry: UInt64

        var size: Int { Int(size32) }
        var deliveryCount: Int64 {
            get { Int64(deliveryCount32) }
            set { deliveryCount32 = UInt32(clamping: newValue) }
        }
        var expiresAt: NIODeadline? {
            get { expiry == .max ? nil : .uptimeNanoseconds(expiry) }
            set { expiry = newValue.map { min($0.uptimeNanoseconds, .max - 1) } ?? .max }
        }

        init(paged id: UInt64, sequence: UInt64, size: Int, persistent: Bool, redelivered: Bool,
             deliveryCount: Int64, expiresAt: NIODeadline?) {
            body = .paged(id)
            self.persistent = persistent
            self.redelivered = redelivered
            indexOnDisk = true
            size32 = UInt32(clamping: size)
            self.sequence = sequence
            deliveryCount32 = UInt32(clamping: deliveryCount)
            expiry = .max
            self.expiresAt = expiresAt
        }

        init(_ entry: QueueEntry) {
            body = .resident(entry.message)
            persistent = entry.message.isPersistent
            redelivered = entry.redelivered
            size32 = UInt32(clamping: entry.message.bodySize)
            sequence = entry.sequence
            deliveryCount32 = UInt32(clamping: entry.deliveryCount)
            expiry = .max
            expiresAt = entry.expiresAt
        }

        var isResident: Bool {
            if case .resident = body { return true }
            return false
        }

        func entry(_ message: Message) -> QueueEntry {
            var entry = QueueEntry(message: message, sequence: sequence)
            entry.redelivered = redelivered
            entry.deliveryCount = deliveryCount
            entry.expiresAt = expiresAt
            return entry
        }
    }

    let pager: Pager
    /// Persistent messages already have their position in the queue's durable index.
    var journaled: Bool
    /// Set by `x-queue-mode`, or by a policy's `queue-mode` (which may change it at any time).
    var lazy: Bool

    /// Small to start with (they double as they fill): an idle queue is a few hundred bytes,
    /// and the default of 16 slots each was 1.3 KiB of it.
    private var front = CircularBuffer<Slot>(initialCapacity: 4)
    private var back = CircularBuffer<Slot>(initialCapacity: 1)
    private var delta = DeltaRun()
    private(set) var count = 0
    private(set) var bytes = 0
    /// Ready messages with delivery mode 2, and their body bytes.
    private(set) var persistentCount = 0
    private(set) var persistentBytes = 0
    private(set) var alphas = 0
    /// Body bytes of the alphas (RabbitMQ's ram_bytes, for ready messages).
    private(set) var alphaBytes = 0
    private(set) var betas = 0
    private(set) var gammas = 0
    private var backAlphas = 0
    /// What this storage holds in RAM, as the pager counts it.
    private(set) var memory = 0

    /// How many positions stay in RAM, and how they move to and from the delta run.
    struct Limits {
        /// Positions a queue under memory pressure keeps in RAM at its head (RabbitMQ's queue
        /// index segment, 16384 entries); the rest go to the delta run.
        var permittedPositions = 16384
        /// Positions read back from the delta run at a time.
        var loadBatch = 4096
        /// Positions collected in `back` before they are written to the delta run.
        var backChunk = 2048
    }

    let limits: Limits

    init(pager: Pager, journaled: Bool, lazy: Bool, limits: Limits = Limits()) {
        self.pager = pager
        self.journaled = journaled
        self.lazy = lazy
        self.limits = limits
    }

    var isEmpty: Bool { count == 0 }
    /// Transient messages in the delta run and their body bytes: what RabbitMQ 3.10 reports as
    /// messages_paged_out and message_bytes_paged_out (delta's transient count).
    var pagedOutTransient: (count: Int, bytes: Int) {
        (delta.count - delta.persistentCount, delta.bytes - delta.persistentBytes)
    }
    var stateCounts: MessageStateCounts {
        MessageStateCounts(alpha: alphas, beta: betas, gamma: gammas, delta: delta.count,
                           q1: backAlphas, q2: back.count - backAlphas)
    }

    // MARK: Accounting

    private func account(_ slot: Slot, _ sign: Int) {
        count += sign
        bytes += sign * slot.size
        if slot.persistent {
            persistentCount += sign
            persistentBytes += sign * slot.size
        }
    }

    /// Counts a slot into (sign 1) or out of (sign -1) the RAM states.
    private func hold(_ slot: Slot, _ sign: Int) {
        let cost: Int
        switch slot.body {
        case .resident:
            alphas += sign
            alphaBytes += sign * slot.size
            cost = Pager.memory(ofResident: slot.size)
        case .paged:
            if slot.indexOnDisk { gammas += sign } else { betas += sign }
            cost = Pager.positionOverhead
        }
        memory += sign * cost
        pager.adjust(by: sign * cost)
    }

    // MARK: Publishing

    func append(_ entry: QueueEntry) {
        var slot = Slot(entry)
        account(slot, 1)
        if lazy || pager.underPressure { page(&slot) }
        if delta.count > 0 {
            if lazy && back.isEmpty && !slot.isResident && delta.append([slot], store: pager) {
                return
            }
            hold(slot, 1)
            if slot.isResident { backAlphas += 1 }
            back.append(slot)
            if back.count >= limits.backChunk && (lazy || pager.underPressure) { pushBackToDelta() }
        } else {
            hold(slot, 1)
            front.append(slot)
            let window = lazy ? limits.loadBatch : limits.permittedPositions
            if front.count > window + limits.backChunk && (lazy || pager.underPressure) { pushFrontToDelta(keeping: window) }
        }
    }

    /// Pages a resident slot out (not counted in the RAM states: callers do that).
    @discardableResult
    private func page(_ slot: inout Slot) -> Bool {
        guard case .resident(let message) = slot.body else { return true }
        do {
            slot.body = .paged(try pager.store.page(message))
            slot.indexOnDisk = journaled && slot.persistent
            return true
        } catch {
            pager.failed(error)
            return false
        }
    }

    /// Pages out every alpha, newest first, then moves positions beyond what RAM may keep to the
    /// delta run. The memory monitor calls this while the broker is over its paging threshold.
    func reduceMemory() {
        var index = back.endIndex
        while backAlphas > 0 && index > back.startIndex {
            index = back.index(before: index)
            guard pageSlot(at: index, inBack: true) else { break }
        }
        index = front.endIndex
        while alphas > backAlphas && index > front.startIndex {
            index = front.index(before: index)
            guard pageSlot(at: index, inBack: false) else { break }
        }
        if delta.count == 0 && front.count > limits.permittedPositions {
            pushFrontToDelta(keeping: limits.permittedPositions)
        }
        if delta.count > 0 { pushBackToDelta() }
    }

    /// Pages one slot out if it is resident, keeping the state counts right; false if it stays.
    private func pageSlot(at index: CircularBuffer<Slot>.Index, inBack: Bool) -> Bool {
        var slot = inBack ? back[index] : front[index]
        guard slot.isResident else { return true }
        guard page(&slot) else { return false }
        hold(inBack ? back[index] : front[index], -1)
        hold(slot, 1)
        if inBack {
            back[index] = slot
            backAlphas -= 1
        } else {
            front[index] = slot
        }
        return true
    }

    /// Starts a delta run with the newest positions of `front` beyond the first `keeping`.
    private func pushFrontToDelta(keeping: Int) {
        guard delta.count == 0, front.count > keeping else { return }
        let start = front.index(front.startIndex, offsetBy: keeping)
        var index = start
        while index != front.endIndex {
            guard pageSlot(at: index, inBack: false) else { return }
            index = front.index(after: index)
        }
        let moved = Array(front[start...])
        guard delta.append(moved, store: pager) else { return }
        front.removeLast(moved.count)
        for slot in moved { hold(slot, -1) }
    }

    /// Moves all of `back` to the end of the delta run.
    private func pushBackToDelta() {
        guard delta.count > 0, !back.isEmpty else { return }
        var index = back.startIndex
        while index != back.endIndex {
            guard pageSlot(at: index, inBack: true) else { return }
            index = back.index(after: index)
        }
        let moved = Array(back)
        guard delta.append(moved, store: pager) else { return }
        back.removeAll(keepingCapacity: true)
        for slot in moved { hold(slot, -1) }
    }

    // MARK: Taking messages

    /// Refills `front` from the delta run (as gammas) when it is empty; once the run is used up,
    /// `back` joins `front`.
    private func refill(evenIfFrontHolds: Bool = false) {
        guard front.isEmpty || evenIfFrontHolds, delta.count > 0 else { return }
        do {
            for slot in try delta.take(limits.loadBatch, store: pager) {
                hold(slot, 1)
                front.append(slot)
            }
        } catch {
            // The positions cannot be read back: the run's messages are lost to this queue.
            pager.failed(error)
            discardDelta()
        }
        if delta.count == 0 {
            front.append(contentsOf: back)
            back.removeAll(keepingCapacity: false)
            backAlphas = 0
        }
    }

    /// Empties the delta run, releasing what it referred to; returns its sequence numbers.
    @discardableResult
    private func discardDelta() -> [UInt64] {
        count -= delta.count
        bytes -= delta.bytes
        persistentCount -= delta.persistentCount
        persistentBytes -= delta.persistentBytes
        let run = delta.discard(store: pager)
        for id in run.ids { pager.store.release(id) }
        return run.sequences
    }

    /// Makes the head resident (reading its body back if it was paged) and returns it.
    var first: QueueEntry? {
        while true {
            refill()
            guard let slot = front.first else { return nil }
            guard case .paged(let id) = slot.body else { return slot.entry(residentMessage(slot)) }
            do {
                let message = try pager.store.load(id)
                pager.store.release(id)
                hold(slot, -1)
                front[front.startIndex].body = .resident(message)
                front[front.startIndex].indexOnDisk = false
                hold(front[front.startIndex], 1)
                return front[front.startIndex].entry(message)
            } catch {
                pager.failed(error)
                drop(front.removeFirst())
            }
        }
    }

    func popFirst() -> QueueEntry? {
        guard let entry = first else { return nil }
        let slot = front.removeFirst()
        hold(slot, -1)
        account(slot, -1)
        return entry
    }

    private func residentMessage(_ slot: Slot) -> Message {
        guard case .resident(let message) = slot.body else { preconditionFailure("slot is paged") }
        return message
    }

    /// A paged slot whose body cannot be read back is gone.
    private func drop(_ slot: Slot) {
        hold(slot, -1)
        account(slot, -1)
        if case .paged(let id) = slot.body { pager.store.release(id) }
    }

    /// Puts delivered-but-unacked entries back, each at its original position (by sequence).
    /// They were taken from the head, so they belong in `front`, unless the delta run began with
    /// messages requeued earlier that were queued behind them: then the run is read back into
    /// RAM first (it goes out again under pressure).
    func requeue(_ requeued: [QueueEntry]) {
        guard !requeued.isEmpty else { return }
        let sorted = requeued.sorted { $0.sequence < $1.sequence }
        let largest = sorted[sorted.count - 1].sequence
        if delta.count > 0 && largest > delta.firstSequence {
            while delta.count > 0 {
                let before = delta.count
                refill(evenIfFrontHolds: true)
                if delta.count == before { break }
            }
        }
        var below: [Slot] = []
        while let head = front.first, head.sequence < largest {
            below.append(front.removeFirst())
        }
        var merged: [Slot] = []
        merged.reserveCapacity(below.count + sorted.count)
        var i = 0
        var j = 0
        while i < below.count || j < sorted.count {
            if j == sorted.count || (i < below.count && below[i].sequence < sorted[j].sequence) {
                merged.append(below[i])
                i += 1
            } else {
                let slot = Slot(sorted[j])
                account(slot, 1)
                hold(slot, 1)
                merged.append(slot)
                j += 1
            }
        }
        for slot in merged.reversed() { front.prepend(slot) }
    }

    /// Removes every message; returns their sequence numbers.
    func removeAll() -> [UInt64] {
        var sequences: [UInt64] = []
        sequences.reserveCapacity(count)
        for slot in front { sequences.append(slot.sequence); release(slot) }
        sequences += discardDelta()
        for slot in back { sequences.append(slot.sequence); release(slot) }
        front.removeAll(keepingCapacity: false)
        back.removeAll(keepingCapacity: false)
        pager.adjust(by: -memory)
        memory = 0
        count = 0
        bytes = 0
        persistentCount = 0
        persistentBytes = 0
        alphas = 0
        betas = 0
        gammas = 0
        backAlphas = 0
        return sequences
    }

    private func release(_ slot: Slot) {
        if case .paged(let id) = slot.body { pager.store.release(id) }
    }

    /// The first `limit` messages, without removing them or changing their state.
    func peek(_ limit: Int) -> [QueueEntry] {
        var result: [QueueEntry] = []
        func add(_ slot: Slot) {
            switch slot.body {
            case .resident(let message):
                result.append(slot.entry(message))
            case .paged(let id):
                do { result.append(slot.entry(try pager.store.load(id))) } catch { pager.failed(error) }
            }
        }
        for slot in front where result.count < limit { add(slot) }
        if result.count < limit {
            do {
                for slot in try delta.peek(limit - result.count) { add(slot) }
            } catch {
                pager.failed(error)
            }
        }
        for slot in back where result.count < limit { add(slot) }
        return result
    }
}

extension CircularBuffer {
    mutating func prepend(contentsOf elements: [Element]) {
        for element in elements.reversed() { prepend(element) }
    }
}

/// How many messages a queue holds in each of RabbitMQ's classic-queue paging states.
package struct MessageStateCounts: Sendable, Equatable {
    /// Message and position in RAM.
    package var alpha = 0
    /// Message on disk, position in RAM.
    package var beta = 0
    /// Message on disk, position in RAM and on disk.
    package var gamma = 0
    /// Message and position on disk only.
    package var delta = 0
    /// Of the alphas, those behind the delta run (RabbitMQ's q1; the rest are q4).
    package var q1 = 0
    /// Of the betas and gammas, those behind the delta run (q2; the rest are q3).
    package var q2 = 0

    package init(alpha: Int = 0, beta: Int = 0, gamma: Int = 0, delta: Int = 0, q1: Int = 0, q2: Int = 0) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.delta = delta
        self.q1 = q1
        self.q2 = q2
    }

    package var q3: Int { beta + gamma - q2 }
    package var q4: Int { alpha - q1 }

    static func + (a: Self, b: Self) -> Self {
        Self(alpha: a.alpha + b.alpha, beta: a.beta + b.beta, gamma: a.gamma + b.gamma, delta: a.delta + b.delta,
             q1: a.q1 + b.q1, q2: a.q2 + b.q2)
    }
}
