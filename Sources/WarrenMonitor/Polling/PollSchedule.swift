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
    /// How long the latest poll took (failed or not).
    public var lastPollDuration: TimeInterval?

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
    /// When the latest poll ended.
    private var lastPollEnded: Date?
    /// A poll never starts sooner after the last one ended than this many times its duration.
    public static let durationFactor: Double = 3

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

    /// Records a good poll; returns the delay until the next one: the interval, or three times
    /// the poll's duration if that is longer.
    public mutating func succeeded(_ snapshot: Snapshot, at now: Date, duration: TimeInterval = 0) -> TimeInterval {
        polling = false
        status.snapshot = snapshot
        status.error = nil
        status.consecutiveFailures = 0
        status.lastPollDuration = duration
        lastPollEnded = now
        let delay = max(interval, Self.durationFactor * duration)
        status.nextPollAt = now.addingTimeInterval(delay)
        return delay
    }

    /// Records a failed poll, keeping the last good snapshot; returns the backoff delay:
    /// interval × 2^(failures-1), at most `maximumBackoff`, and at least three times the duration.
    public mutating func failed(_ error: MonitorError, at now: Date, duration: TimeInterval = 0) -> TimeInterval {
        polling = false
        status.error = error
        status.consecutiveFailures += 1
        status.lastPollDuration = duration
        lastPollEnded = now
        let exponent = Double(min(status.consecutiveFailures - 1, 20))
        let delay = max(Self.durationFactor * duration, min(maximumBackoff, max(interval, interval * pow(2, exponent))))
        status.nextPollAt = now.addingTimeInterval(delay)
        return delay
    }

    /// Moves the next poll to the earliest moment the last poll's duration allows (after a
    /// success only: a failing broker keeps its backoff).
    public mutating func bringForward(at now: Date) {
        guard status.error == nil, let ended = lastPollEnded, let due = status.nextPollAt else { return }
        let earliest = ended.addingTimeInterval(Self.durationFactor * (status.lastPollDuration ?? 0))
        status.nextPollAt = min(due, max(now, earliest))
    }

    /// RabbitMQ's (and LavinMQ's) statistics refresh every 5 s, so polling faster shows nothing
    /// new; the embedded broker's figures are live, so 1 s. From 10,000 queues on, RabbitMQ gets 10 s: even the
    /// cheapest poll of a large broker lists every queue once to find the page in view (0.12-0.16 s
    /// of its CPU at 10,000 queues, 1 s or more at 100,000), and every 5 s that alone is 3% of a
    /// core.
    public static func defaultInterval(broker: BrokerIdentity?, queueCount: Int = 0) -> TimeInterval {
        if broker?.product == .warren { return 1 }
        return queueCount >= largeBrokerQueues ? 10 : 5
    }

    /// From this many queues on, RabbitMQ's default refresh is 10 s.
    public static let largeBrokerQueues = 10_000
}
