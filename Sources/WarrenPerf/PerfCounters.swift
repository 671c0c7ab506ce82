import Histogram
import NIOConcurrencyHelpers

/// Counters shared by a run's producers and consumers, read once a second by the reporter.
final class PerfCounters: Sendable {
    struct Totals {
        var sent = 0
        var confirmed = 0
        var nacked = 0
        var received = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    private let current = NIOLockedValueBox(Totals())
    private let overall = NIOLockedValueBox(Totals())

    func sent(_ n: Int) { current.withLockedValue { $0.sent += n } }

    func confirmed(_ acks: Int, nacks: Int) {
        current.withLockedValue {
            $0.confirmed += acks
            $0.nacked += nacks
        }
    }

    /// One delivery, with its latency in microseconds.
    func received(latencyMicros: UInt64) {
        current.withLockedValue {
            $0.received += 1
            _ = $0.latency.record(min(latencyMicros, 60_000_000))
        }
    }

    /// The counts since the last call, which are also added to the run's totals.
    func takeSecond(_ second: Int) -> PerfSecond {
        let taken = current.withLockedValue { totals -> Totals in
            let copy = totals
            totals = Totals()
            return copy
        }
        overall.withLockedValue {
            $0.sent += taken.sent
            $0.confirmed += taken.confirmed
            $0.nacked += taken.nacked
            $0.received += taken.received
            $0.latency.add(taken.latency)
        }
        let percentiles = PerfLatency(taken.latency)
        return PerfSecond(second: second, sent: taken.sent, confirmed: taken.confirmed, nacked: taken.nacked,
                          received: taken.received, latencyP50: percentiles?.p50, latencyP99: percentiles?.p99)
    }

    var totals: Totals { overall.withLockedValue { $0 } }

    /// Received so far, including the current second.
    var receivedSoFar: Int { current.withLockedValue { $0.received } + overall.withLockedValue { $0.received } }
}
