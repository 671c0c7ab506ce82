#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The broker's memory budget for messages, kept on the event loop. Every queue reports what
/// its messages cost in RAM; above `pagingRatio` of the limit queues page messages out (RabbitMQ's
/// `vm_memory_high_watermark_paging_ratio`, 0.5), and above the limit itself publishers are
/// blocked (the memory alarm).
final class Pager {
    let store: PagingStore
    var limit: Int
    /// Estimated bytes of RAM held by queued messages: bodies and bookkeeping.
    private(set) var memory = 0
    /// Paging failures so far (a full or failing disk): the messages stay in RAM.
    private(set) var failures = 0

    static let pagingRatio = 0.5
    /// What a message in RAM costs besides its body: the message object (which holds the body
    /// bytes too) and the queue slot, with malloc's rounding: 153 bytes for a 64-byte message
    /// without properties, as measured by scripts/bench-memory (Benchmarks/queue-memory.md).
    /// Decoded properties (a few hundred bytes when a message has any) are not counted.
    static let messageOverhead = 160
    /// What a paged-out position (a beta or gamma) costs: its slot in the queue.
    static let positionOverhead = 64

    init(store: PagingStore, limit: Int) {
        self.store = store
        self.limit = limit
    }

    var threshold: Int { Int(Double(limit) * Self.pagingRatio) }
    var underPressure: Bool { memory > threshold }
    var overLimit: Bool { memory > limit }

    func adjust(by delta: Int) {
        memory += delta
    }

    /// Replaces the running figure with a full recount (the periodic check does one).
    func recount(_ total: Int) {
        memory = total
    }

    /// A write or read of the paging files failed. Said on stderr the first time and every
    /// thousandth time after, so a full disk does not flood the log.
    func failed(_ error: any Error) {
        failures += 1
        guard failures == 1 || failures % 1000 == 0 else { return }
        let line = "warren broker: paging failed (\(failures) so far), messages stay in RAM: \(error)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    static func memory(ofResident size: Int) -> Int { size + messageOverhead }
}
