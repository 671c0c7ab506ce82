import Foundation
import WarrenMonitor

/// The dashboard's panes, in Tab order.
public enum Pane: String, Sendable, Hashable, CaseIterable {
    case queues
    case exchanges
    case consumers
    case dlq
    case states
    case nodes

    public var title: String {
        switch self {
        case .queues: return "Queues"
        case .exchanges: return "Exchanges"
        case .consumers: return "Consumers"
        case .dlq: return "DLQs"
        case .states: return "Message states"
        case .nodes: return "Nodes"
        }
    }
}

/// Selection and sort of one pane's list.
public struct ListState: Sendable, Hashable {
    public var selection = 0
    public var sortColumn: Int
    public var sortDescending: Bool

    public init(sortColumn: Int = 0, sortDescending: Bool = false) {
        self.sortColumn = sortColumn
        self.sortDescending = sortDescending
    }
}

/// What fills the body of the screen.
public enum Screen: Sendable, Hashable {
    case dashboard
    /// A queue's details and its peeked messages.
    case queue(QueueID)
    /// One peeked message (by position in the list the queue view shows, filtered or not).
    case message(QueueID, index: Int)
    /// A dead-letter queue's peeked messages grouped by cause.
    case causes(QueueID)
}

/// A line being typed at the bottom of the screen.
public enum InputMode: Sendable, Hashable {
    case normal
    case filter(String)
    case command(String)
    /// Purge confirmation: the queue and what has been typed so far.
    case purge(QueueID, typed: String)
    /// Saving the peeked messages: the queue, how many, and the file's path as typed so far.
    case save(QueueID, count: Int, path: String)
    /// The filter of a queue's peeked messages, as typed so far.
    case messageFilter(QueueID, String)
}

/// The replay dialog's stages.
public enum ReplayPhase: Sendable, Hashable {
    /// The dry run that counts messages per target is running.
    case planning
    /// The plan (a dry run's report, with the checks of its targets), waiting for Enter.
    case plan(ReplayReport)
    case running(ReplayProgress)
    /// Esc was pressed; messages in flight are being settled.
    case cancelling(ReplayProgress)
    case finished(ReplayReport)
    case failed(String)
}

/// The replay dialog.
public struct ReplayDialog: Sendable, Hashable {
    public var queue: QueueID
    public var phase: ReplayPhase
    /// Enter was pressed once on a plan with warnings: the next Enter replays.
    public var confirming = false
    /// Only the messages these match (a cause group, or the queue view's filter).
    public var filters: [ReplayFilter]
    /// The task running this replay, once it runs.
    public var taskID: Int?

    public init(queue: QueueID, phase: ReplayPhase, filters: [ReplayFilter] = []) {
        self.queue = queue
        self.phase = phase
        self.filters = filters
    }
}

/// A replay started from the dashboard: it runs on when its dialog closes.
public struct ReplayTask: Sendable, Hashable {
    public var id: Int
    public var queue: QueueID
    public var filters: [ReplayFilter]
    /// running, cancelling, finished or failed.
    public var phase: ReplayPhase
    public var startedAt: Date

    public var isRunning: Bool {
        switch phase {
        case .running, .cancelling, .planning, .plan: return true
        case .finished, .failed: return false
        }
    }
}

/// Peeked messages of one queue.
public struct PeekState: Sendable, Hashable {
    public var messages: [MessageView] = []
    public var warnings: [String] = []
    public var loading = false
    public var error: String?
}

/// A message being edited in $EDITOR: the file, what it held, and the original to ack after the
/// new copy is confirmed (none for a new message).
public struct EditSession: Sendable, Hashable {
    public var queue: QueueID?
    public var digest: UInt64?
    public var messageID: String?
    /// How far into the queue the original is looked for again.
    public var within: Int
    public var vhost: String
    public var path: String
    public var original: String

    public init(queue: QueueID?, digest: UInt64?, messageID: String?, within: Int, vhost: String, path: String,
                original: String) {
        self.queue = queue
        self.digest = digest
        self.messageID = messageID
        self.within = within
        self.vhost = vhost
        self.path = path
        self.original = original
    }
}

/// The edited message, its route and Enter to send it.
public struct ComposeDialog: Sendable, Hashable {
    public var session: EditSession
    public var message: ExportedMessage
    /// From the snapshot's bindings; nil when the snapshot has no exchanges (no management API).
    public var preview: RoutePreview?
    public var sending = false
}

/// A filter over a queue's peeked messages (docs/filters.md).
public struct MessageFilterState: Sendable, Hashable {
    public var text: String
    public var filters: [ReplayFilter]
}

/// How a message body is shown in the viewer.
public enum BodyMode: String, Sendable, Hashable, CaseIterable {
    case text
    case json
    case hex
}

/// The freshness of what is shown.
public struct ConnectionState: Sendable, Hashable {
    public var error: String?
    public var lastSnapshotAt: Date?
    public var failures = 0
    /// How long the latest poll took: on a large broker, what sets the pace of the polls.
    public var pollDuration: TimeInterval?
}

/// Everything the dashboard shows besides the Snapshot: a value, changed only by
/// ``ViewState/handle(_:)``.
public struct ViewState: Sendable {
    /// Tables of the large panes, made once per snapshot, filter and sort.
    let tableMemo = TableMemo()
    public var snapshot: Snapshot?
    /// The snapshot before, for rates the API did not give (exchanges).
    public var previous: Snapshot?
    public var connection = ConnectionState()
    public var now: Date
    public var width: Int
    public var height: Int

    public var screen: Screen = .dashboard
    public var focus: Pane = .queues
    public var zoomed = false
    public var lists: [Pane: ListState] = ViewState.defaultLists
    public var filter = ""
    /// `nil`: every virtual host.
    public var vhost: String?
    public var input: InputMode = .normal
    public var showHelp = false
    public var helpScroll = 0
    public var replay: ReplayDialog?
    public var compose: ComposeDialog?
    /// Replays started here, oldest first.
    public var tasks: [ReplayTask] = []
    /// The task list is open (`T`), with this row selected.
    public var showTasks = false
    public var taskSelection = 0
    public var peeks: [QueueID: PeekState] = [:]
    public var drillSelection = 0
    /// Per queue: the filter of its peeked messages, as typed and as parsed.
    public var messageFilters: [QueueID: MessageFilterState] = [:]
    public var causeSelection = 0
    public var bodyMode: BodyMode = .text
    public var messageScroll = 0

    public var readonly: Bool
    public var themeName: String
    public var themeNames: [String]
    /// One line at the bottom: the result of the last action, or an error.
    public var status: String?
    /// What is being watched, shown until the first snapshot names the broker.
    public var sourceName: String?
    /// Always shown under the header (e.g. what the demo cannot show yet).
    public var notice: String?
    public var history = RateHistory()
    /// What to alert on; `nil` evaluates nothing (and the header shows no alert count).
    public var alertThresholds: AlertThresholds?
    /// Ring the terminal bell when an alert appears that the poll before did not have.
    public var bell = false
    /// The alerts of the current snapshot, and the queues they are about (whose rows are highlighted).
    public var alerts: [Alert] = []
    public var alertedQueues: Set<QueueID> = []

    public init(width: Int = 80, height: Int = 24, now: Date = Date(), readonly: Bool = false,
                themeName: String = "default", themeNames: [String] = ["default"]) {
        self.width = width
        self.height = height
        self.now = now
        self.readonly = readonly
        self.themeName = themeName
        self.themeNames = themeNames
    }

    static let defaultLists: [Pane: ListState] = [
        .queues: ListState(sortColumn: 0),
        .exchanges: ListState(sortColumn: 0),
        .consumers: ListState(sortColumn: 1),
        .dlq: ListState(sortColumn: 1, sortDescending: true),
        .states: ListState(sortColumn: 1, sortDescending: true),
        .nodes: ListState(sortColumn: 0),
    ]

    public func list(_ pane: Pane) -> ListState { lists[pane] ?? ListState() }
}

/// Recent rates for sparklines: broker-wide and per queue, newest last.
public struct RateHistory: Sendable, Hashable {
    public static let length = 60
    public var publish: [Double] = []
    public var deliver: [Double] = []
    public var queuePublish: [QueueID: [Double]] = [:]
    public var queueDeliver: [QueueID: [Double]] = [:]

    public init() {}

    mutating func record(_ snapshot: Snapshot) {
        Self.append(&publish, snapshot.overviewRates.publish?.perSecond ?? 0)
        Self.append(&deliver, snapshot.overviewRates.deliver?.perSecond ?? 0)
        let live = Set(snapshot.queues.map(\.id))
        queuePublish = queuePublish.filter { live.contains($0.key) }
        queueDeliver = queueDeliver.filter { live.contains($0.key) }
        for (id, rates) in snapshot.queueRates {
            Self.append(&queuePublish[id, default: []], rates.publish?.perSecond ?? 0)
            Self.append(&queueDeliver[id, default: []], rates.deliver?.perSecond ?? 0)
        }
    }

    static func append(_ series: inout [Double], _ value: Double) {
        series.append(value)
        if series.count > length { series.removeFirst(series.count - length) }
    }
}
