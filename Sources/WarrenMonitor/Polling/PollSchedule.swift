import Foundation

/// What the monitor knows at a moment: the last good snapshot, and how fresh it is.
public struct MonitorStatus: Sendable {
    /// The last snapshot that arrived; kept when later polls fail.
    public var snapshot: Snapshot?
    /// The error of the latest poll, if it failed.
    public var error: MonitorError?
    /// Polls failed in a row.
    public var consecutiveFailures: Int
    /// When the next poll is due.
    public var nextPollAt: Date?

    /// Seconds since the snapshot was taken.
    public func age(at now: Date = Date()) -> TimeInterval? {
        snapshot.map { now.timeIntervalSince($0.takenAt) }
    }

    /// True while the snapshot shown is not the latest poll's (it failed).
    public var isStale: Bool { error != nil }
}

/// The poller's decisions as a value: whether a poll may start, and when the next one is due
/// after a success or a failure (exponential backoff up to a ceiling). No I/O, no clock.
public struct PollSchedule: Sendable {
    public var interval: TimeInterval
    public var maximumBackoff: TimeInterval
    public private(set) var polling = false
    public private(set) var status = MonitorStatus(snapshot: nil, error: nil, consecutiveFailures: 0)

    public init(interval: TimeInterval, maximumBackoff: TimeInterval = 60) {
        self.interval = interval
        self.maximumBackoff = maximumBackoff
    }

    /// Returns false if a poll is still running: a source is never polled twice at once.
    public mutating func start() -> Bool {
        guard !polling else { return false }
        polling = true
        return true
    }

    /// Records a good poll; returns the delay until the next one.
    public mutating func succeeded(_ snapshot: Snapshot, at now: Date) -> TimeInterval {
        polling = false
        status.snapshot = snapshot
        status.error = nil
        status.consecutiveFailures = 0
        status.nextPollAt = now.addingTimeInterval(interval)
        return interval
    }

    /// Records a failed poll, keeping the last good snapshot; returns the backoff delay:
    /// interval × 2^(failures-1), at most `maximumBackoff`.
    public mutating func failed(_ error: MonitorError, at now: Date) -> TimeInterval {
        polling = false
        status.error = error
        status.consecutiveFailures += 1
        let exponent = Double(min(status.consecutiveFailures - 1, 20))
        let delay = min(maximumBackoff, max(interval, interval * pow(2, exponent)))
        status.nextPollAt = now.addingTimeInterval(delay)
        return delay
    }

    /// RabbitMQ's statistics refresh every 5 s, so polling faster shows nothing new; the embedded
    /// broker's figures are live, so 1 s.
    public static func defaultInterval(productName: String?) -> TimeInterval {
        (productName ?? "").localizedCaseInsensitiveContains("warren") ? 1 : 5
    }
}
