import Dispatch
import NIOCore
import Synchronization
import WarrenBroker
import WarrenManagement

/// Management API requests against a real embedded broker: the first byte picks the method, the
/// text up to the first newline is the path after `/api/` (with `?query`), the rest is the body
/// (`definitions` with POST imports it). Every request must be answered with a status; the
/// broker is replaced every few thousand requests so that what they create does not pile up.
enum ManagementRequests {
    private struct Served {
        var broker: Broker
        var probe: ManagementProbe
        var requests = 0
    }

    private static let served = Mutex<Served?>(nil)
    private static let methods = ["GET", "PUT", "POST", "DELETE"]
    private static let requestsPerBroker = 5_000

    static func request(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let rest = bytes.dropFirst()
        let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        let target = String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)
        var body = ByteBuffer()
        if newline < rest.endIndex { body.writeBytes(rest[(newline + 1)...]) }
        let (path, queryText) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
            ?? (target, "")
        var query: [String: String] = [:]
        for pair in queryText.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let probe = currentProbe()
        let method = methods[Int(first) % methods.count]
        let (finalQuery, finalBody) = (query, body)
        blocking { _ = await probe.status(method: method, path: path, query: finalQuery, body: finalBody) }
    }

    /// The broker's probe; a fresh broker after `requestsPerBroker` requests.
    private static func currentProbe() -> ManagementProbe {
        let (probe, retired) = served.withLock { served -> (ManagementProbe?, Broker?) in
            guard var current = served else { return (nil, nil) }
            current.requests += 1
            guard current.requests <= requestsPerBroker else {
                served = nil
                return (nil, current.broker)
            }
            served = current
            return (current.probe, nil)
        }
        if let probe { return probe }
        if let retired { blocking { try? await retired.shutdown() } }
        let broker = blocking { () -> Broker in
            do {
                return try await Broker.start(BrokerConfiguration(amqpPort: 0))
            } catch {
                fatalError("the fuzz target's broker did not start: \(error)")
            }
        }
        let fresh = ManagementProbe(broker: broker)
        served.withLock { $0 = Served(broker: broker, probe: fresh) }
        return fresh
    }

    /// Runs async work from libFuzzer's synchronous callback, which owns no Swift concurrency thread.
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await work()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}
