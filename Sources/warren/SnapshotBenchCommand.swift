import ArgumentParser
import Foundation
import WarrenMonitor

/// `warren snapshot-bench`: what a snapshot of a large broker costs the monitor: decoding a
/// full-statistics /api/queues response and deriving the snapshot, in time and memory (hidden;
/// BENCHMARKS.md records its figures).
struct SnapshotBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot-bench", abstract: "Time and weigh a large broker's snapshot.", shouldDisplay: false)

    @Option(help: "Queues in the response.") var queues = 100_000

    /// One queue of a real RabbitMQ 3.10.8 /api/queues response (every field, statistics
    /// included), renamed for each copy; one in ten dead-letters into "bench.dlq".
    static let recorded = #"{"arguments":{},"auto_delete":true,"backing_queue_status":{"avg_ack_egress_rate":0.0,"avg_ack_ingress_rate":0.0,"avg_egress_rate":0.0,"avg_ingress_rate":61.13634011699483,"delta":["delta","undefined",0,0,"undefined"],"len":500,"mode":"default","next_deliver_seq_id":0,"next_seq_id":500,"q1":0,"q2":0,"q3":0,"q4":500,"target_ram_count":"infinity","version":1},"consumer_capacity":0,"consumer_utilisation":0,"consumers":0,"durable":false,"effective_policy_definition":{},"exclusive":false,"exclusive_consumer_tag":null,"garbage_collection":{"fullsweep_after":65535,"max_heap_size":0,"min_bin_vheap_size":46422,"min_heap_size":233,"minor_gcs":40},"head_message_timestamp":null,"idle_since":"2026-11-25T05:40:53.015+00:00","memory":335856,"message_bytes":500,"message_bytes_paged_out":0,"message_bytes_persistent":0,"message_bytes_ram":500,"message_bytes_ready":500,"message_bytes_unacknowledged":0,"message_stats":{"publish":500,"publish_details":{"rate":0.0}},"messages":500,"messages_details":{"rate":0.0},"messages_paged_out":0,"messages_persistent":0,"messages_ram":500,"messages_ready":500,"messages_ready_details":{"rate":0.0},"messages_ready_ram":500,"messages_unacknowledged":0,"messages_unacknowledged_details":{"rate":0.0},"messages_unacknowledged_ram":0,"name":"NAME","node":"rabbit@warren-bench-host-1","operator_policy":null,"policy":null,"recoverable_slaves":null,"reductions":134221,"reductions_details":{"rate":0.0},"single_active_consumer_tag":null,"state":"running","type":"classic","vhost":"/"}"#

    func run() throws {
        var body = Data("[".utf8)
        body.reserveCapacity(queues * (Self.recorded.utf8.count + 64))
        for index in 0..<queues {
            var object = Self.recorded.replacingOccurrences(of: "\"NAME\"", with: "\"bench.q\(index)\"")
            if index % 10 == 0 {
                object = object.replacingOccurrences(of: "\"arguments\":{}", with: #""arguments":{"x-dead-letter-exchange":"","x-dead-letter-routing-key":"bench.dlq"}"#)
            }
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: object.utf8)
        }
        body.append(contentsOf: #",{"name":"bench.dlq","vhost":"/","messages":0}]"#.utf8)
        let heapBefore = Self.heapInUse()
        let start = DispatchTime.now().uptimeNanoseconds
        let list = try ResourceList<QueueInfo>.decode(body)
        let decoded = DispatchTime.now().uptimeNanoseconds
        let snapshot = Snapshot(state: BrokerState(queues: list.items), source: "bench")
        let derived = DispatchTime.now().uptimeNanoseconds
        let heapAfter = Self.heapInUse()
        let perQueue = Double(heapAfter - heapBefore) / Double(snapshot.queues.count)
        print(String(format: "snapshot of %d queues from a %.1f MB response: decode %.0f ms, derive %.0f ms, "
                     + "RSS +%.1f MB (%.0f B a queue), peak RSS %.0f MB, %d DLQ sources",
                     snapshot.queues.count, Double(body.count) / 1e6, Double(decoded - start) / 1e6,
                     Double(derived - decoded) / 1e6, Double(heapAfter - heapBefore) / 1e6, perQueue,
                     Double(Self.peakResident()) / 1e6, snapshot.deadLetters.queues.first?.sources.count ?? 0))
        print("inline sizes: QueueInfo \(MemoryLayout<QueueInfo>.stride) B, QueueRates \(MemoryLayout<QueueRates>.stride) B, "
            + "MessageStates \(MemoryLayout<MessageStates>.stride) B, MessageStats \(MemoryLayout<MessageStats>.stride) B")
        withExtendedLifetime(snapshot) {}
    }

    /// Resident memory now (VmRSS): what the snapshot holds shows as its growth, the response's
    /// bytes having been touched before the first reading.
    static func heapInUse() -> Int { status("VmRSS:") }

    /// VmHWM: the process's peak resident memory.
    static func peakResident() -> Int { status("VmHWM:") }

    private static func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return 0
    }
}
