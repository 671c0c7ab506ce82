import Foundation

/// What one poll of a source fetched, before Warren derives anything from it.
public struct BrokerState: Sendable, Hashable {
    public var overview: Overview
    public var nodes: [NodeInfo]
    public var vhosts: [VhostInfo]
    public var queues: [QueueInfo]
    public var exchanges: [ExchangeInfo]
    public var bindings: [BindingInfo]
    public var consumers: [ConsumerInfo]
    public var connections: [ConnectionInfo]
    /// Resources the source could not fetch this time, with why (e.g. an AMQP-only source has no
    /// nodes); shown, never an error.
    public var gaps: [String]
    /// What the poll cost and what it carries to the next (the queue inventory on a large broker).
    public var poll = PollRecord()

    public init(overview: Overview = Overview(), nodes: [NodeInfo] = [], vhosts: [VhostInfo] = [],
                queues: [QueueInfo] = [], exchanges: [ExchangeInfo] = [], bindings: [BindingInfo] = [],
                consumers: [ConsumerInfo] = [], connections: [ConnectionInfo] = [], gaps: [String] = []) {
        self.overview = overview
        self.nodes = nodes
        self.vhosts = vhosts
        self.queues = queues
        self.exchanges = exchanges
        self.bindings = bindings
        self.consumers = consumers
        self.connections = connections
        self.gaps = gaps
    }
}

/// An immutable picture of a broker at one moment, with everything Warren derives from it.
/// The dashboard renders from this alone.
public struct Snapshot: Sendable, Hashable {
    public let takenAt: Date
    /// Which source produced it, e.g. `management http://127.0.0.1:15672/`.
    public let source: String
    public let overview: Overview
    public let nodes: [NodeInfo]
    public let vhosts: [VhostInfo]
    public let queues: [QueueInfo]
    public let exchanges: [ExchangeInfo]
    public let bindings: [BindingInfo]
    public let consumers: [ConsumerInfo]
    public let connections: [ConnectionInfo]
    public let gaps: [String]
    public let poll: PollRecord
    /// Tells this snapshot (and its copies) from every other, for caches of what is derived
    /// from it; equal snapshots compare equal whatever their identity.
    public let identity = SnapshotIdentity()
    /// Positions in `queues`, for look-ups by identity on brokers with many queues.
    private let queueIndex: [QueueID: Int]

    public let overviewRates: OverviewRates
    /// Queues without any rate (or message-state figure) have no entry.
    public let queueRates: [QueueID: QueueRates]
    public let messageStates: [QueueID: MessageStates]
    public let deadLetters: DeadLetterTopology
    public let cluster: ClusterState

    /// Builds a snapshot from a poll's state; `previous` (the last snapshot of the same source)
    /// supplies counter deltas for rates the API did not give.
    public init(state: BrokerState, source: String, takenAt: Date = Date(), previous: Snapshot? = nil) {
        self.takenAt = takenAt
        self.source = source
        overview = state.overview
        nodes = state.nodes
        vhosts = state.vhosts
        queues = state.queues
        exchanges = state.exchanges
        bindings = state.bindings
        consumers = state.consumers
        connections = state.connections
        gaps = state.gaps
        poll = state.poll
        var index: [QueueID: Int] = [:]
        index.reserveCapacity(state.queues.count)
        for (position, queue) in state.queues.enumerated() where index[queue.id] == nil { index[queue.id] = position }
        queueIndex = index

        // On a large broker most queues' figures come from an inventory that is not re-read
        // every poll: a difference between two polls would show a stale queue as idle, so only
        // the rates the API gave (for the queues it was asked statistics for) are shown.
        let elapsed = state.poll.planned ? 0 : previous.map { takenAt.timeIntervalSince($0.takenAt) } ?? 0
        overviewRates = OverviewRates.derive(state.overview, previous: previous?.overview, elapsed: elapsed)
        let before = Dictionary((previous?.queues ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var rates: [QueueID: QueueRates] = [:]
        var states: [QueueID: MessageStates] = [:]
        // Only what is known is kept: most queues of a large broker's snapshot have neither rates
        // nor message states, and 10,000 empty entries were megabytes of every snapshot.
        for queue in state.queues {
            let queueRates = QueueRates.derive(queue, previous: before[queue.id], elapsed: elapsed)
            if queueRates != QueueRates() { rates[queue.id] = queueRates }
            let queueStates = MessageStates.derive(for: queue, broker: state.overview.broker)
            if queueStates.precision != .unknown { states[queue.id] = queueStates }
        }
        queueRates = rates
        messageStates = states
        deadLetters = DeadLetterTopology.derive(queues: state.queues, exchanges: state.exchanges,
                                                bindings: state.bindings, rates: rates)
        cluster = ClusterState.derive(nodes: state.nodes, queues: state.queues)
    }

    public func queue(_ name: String, vhost: String = "/") -> QueueInfo? {
        queueIndex[QueueID(vhost: vhost, name: name)].map { queues[$0] }
    }
}

/// A snapshot's identity (see ``Snapshot/identity``): compared by reference, ignored by `==`.
public final class SnapshotIdentity: Sendable, Hashable {
    public init() {}
    public static func == (a: SnapshotIdentity, b: SnapshotIdentity) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
