import Foundation

/// Counts of a replay (or move) so far.
public struct ReplayProgress: Sendable, Hashable, Codable {
    /// Messages in the source queue when the replay started: it stops after that many.
    public var lengthAtStart: Int
    /// Published, confirmed, not returned, and acked (removed) from the source.
    public var moved: Int = 0
    /// Returned as unroutable (mandatory): left in the source.
    public var returned: Int = 0
    /// Nacked by the broker or lost to an error before the confirm: left in the source.
    public var failed: Int = 0
    /// Filtered out or without a known origin: left in the source.
    public var skipped: Int = 0
    /// Messages looked at.
    public var seen: Int = 0
    /// Per target, messages moved there (or, in a dry run, that would be).
    public var perTarget: [String: Int] = [:]
    /// Why messages were skipped, with counts.
    public var skipReasons: [String: Int] = [:]
    /// Moved messages per second since the start.
    public var rate: Double = 0
    /// Dry runs: where each target label publishes (for the plan's checks of the targets).
    public var destinations: [String: ReplayDestination] = [:]
    /// Dry runs: messages by how many times they died ("3": 120 messages died three times).
    public var deaths: [String: Int] = [:]

    public var remaining: Int { max(0, lengthAtStart - seen) }

    public init(lengthAtStart: Int) {
        self.lengthAtStart = lengthAtStart
    }
}

/// An exchange and routing key a replay publishes to.
public struct ReplayDestination: Sendable, Hashable, Codable {
    public var exchange: String
    public var routingKey: String

    public init(exchange: String, routingKey: String) {
        self.exchange = exchange
        self.routingKey = routingKey
    }
}

/// Why a replay stopped.
public enum ReplayStop: String, Sendable, Hashable, Codable {
    /// It looked at as many messages as the queue held at the start.
    case reachedLength
    /// It looked at as many messages as `--limit` allowed.
    case reachedLimit
    /// The queue ran empty.
    case queueEmpty
    /// A message this replay had published came back (it was dead-lettered again).
    case sawOwnMessage
    /// The caller cancelled it.
    case cancelled

    /// Why it stopped, in words for people (the raw value is for scripts).
    public var explanation: String {
        switch self {
        case .reachedLength: return "every message the queue held at the start was looked at"
        case .reachedLimit: return "the limit was reached"
        case .queueEmpty: return "the queue ran empty"
        case .sawOwnMessage: return "a message this replay had sent came back into the queue"
        case .cancelled: return "cancelled"
        }
    }
}

/// The outcome of a replay, move or dry run.
public struct ReplayReport: Sendable, Hashable, Codable {
    public var replayID: String
    public var dryRun: Bool
    public var progress: ReplayProgress
    public var stop: ReplayStop
    /// Said to the user alongside the counts.
    public var warnings: [String]
    /// Messages in the queue when it started; a dry run of a larger queue samples the first
    /// ``ReplayOptions/sample`` of them.
    public var queueLength: Int = 0
    /// What the plan predicts will go wrong, per target (see ``ReplayPlanCheck``).
    public var planWarnings: [ReplayWarning] = []

    public init(replayID: String, dryRun: Bool, progress: ReplayProgress, stop: ReplayStop, warnings: [String] = [],
                queueLength: Int = 0, planWarnings: [ReplayWarning] = []) {
        self.replayID = replayID
        self.dryRun = dryRun
        self.progress = progress
        self.stop = stop
        self.warnings = warnings
        self.queueLength = queueLength
        self.planWarnings = planWarnings
    }

    /// A dry run that looked at fewer messages than the queue held.
    public var sampled: Bool { dryRun && progress.seen < queueLength }

    /// True when every message looked at went where it should.
    public var complete: Bool { progress.returned == 0 && progress.failed == 0 && progress.skipped == 0 }
}

/// An event of a running replay.
public enum ReplayEvent: Sendable, Hashable {
    case progress(ReplayProgress)
    case finished(ReplayReport)
}
