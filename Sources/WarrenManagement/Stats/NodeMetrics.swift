import Foundation
import WarrenBroker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating system's view of the broker process: what RabbitMQ's node object reports
/// about memory, file descriptors and disk.
struct NodeMetrics: Sendable {
    /// Resident set size, as RabbitMQ's `rss` memory calculation strategy reads it.
    var memoryUsed: Int
    var fdUsed: Int
    var fdTotal: Int
    var diskFree: Int
    var processors: Int

    /// `snapshot`'s free disk space is the broker's own figure, from the file system its alarm
    /// watches.
    static func read(_ snapshot: BrokerSnapshot) -> NodeMetrics {
        NodeMetrics(memoryUsed: residentBytes(), fdUsed: openDescriptors(), fdTotal: descriptorLimit(),
                    diskFree: snapshot.diskFree, processors: ProcessInfo.processInfo.activeProcessorCount)
    }

    private static func residentBytes() -> Int {
        // /proc/self/statm: size resident shared ... in pages.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    private static func descriptorLimit() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        #else
        guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return 0 }
        #endif
        return Int(clamping: limit.rlim_cur)
    }
}
