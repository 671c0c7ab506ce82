import Foundation
import Synchronization
import WarrenMonitor

/// A column of a pane's table.
public struct Column: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case text
        case number
        /// A message-state bar drawn from the row's ``StateBar``.
        case bar
    }

    public var title: String
    public var width: Int
    public var kind: Kind
    /// Takes the width left over (at most one flexible column per table).
    public var flexible: Bool
    /// Columns with the lowest priority are dropped first when the pane is narrow.
    public var priority: Int

    init(_ title: String, _ width: Int, _ kind: Kind = .text, flexible: Bool = false, priority: Int = 5) {
        self.title = title
        self.width = width
        self.kind = kind
        self.flexible = flexible
        self.priority = priority
    }
}

/// A value to sort a column by.
public enum SortValue: Sendable, Hashable, Comparable {
    case missing
    case number(Double)
    case text(String)

    public static func < (a: SortValue, b: SortValue) -> Bool {
        switch (a, b) {
        case (.missing, .missing): return false
        case (.missing, _): return true
        case (_, .missing): return false
        case (.number(let x), .number(let y)): return x < y
        // Plain comparison: localized comparison is ten times slower on 10,000 names.
        case (.text(let x), .text(let y)): return x < y
        case (.number, .text): return true
        case (.text, .number): return false
        }
    }
}

/// Stacked segments of a message-state bar: counts and the theme key each is drawn in.
public struct StateBar: Sendable, Hashable {
    public var segments: [(count: Int, key: ThemeKey)]

    public var total: Int { segments.reduce(0) { $0 + $1.count } }

    public static func == (a: StateBar, b: StateBar) -> Bool {
        a.segments.map(\.count) == b.segments.map(\.count) && a.segments.map(\.key) == b.segments.map(\.key)
    }

    public func hash(into hasher: inout Hasher) {
        for segment in segments {
            hasher.combine(segment.count)
            hasher.combine(segment.key)
        }
    }
}

/// One row of a pane's table, as drawn. Rows are made (``Table/row(_:)``) only for what is on
/// screen: with 10,000 queues, making every row each frame would cost more than the rest.
public struct Row: Sendable, Hashable {
    /// What Enter opens, when it opens something.
    public var queue: QueueID?
    /// The first column's text.
    public var name: String
    /// Colour of the whole row (e.g. alarms, dead-letter queues), else the theme's text colour.
    public var emphasis: ThemeKey?
    public var cells: [String]
    public var bar: StateBar?

    init(queue: QueueID?, name: String, emphasis: ThemeKey?, cells: [String], bar: StateBar? = nil) {
        self.queue = queue
        self.name = name
        self.emphasis = emphasis
        self.cells = cells
        self.bar = bar
    }
}

/// What a table sorts: the sort column's value and where the row's object is in the snapshot.
struct Entry: Sendable {
    var key: SortValue
    var source: Int
}

/// A pane's columns and rows, filtered and sorted.
public struct Table: Sendable {
    public var columns: [Column]
    var entries: [Entry]
    /// Shown when there are no rows.
    public var empty: String
    /// Makes the row of the object at a source index.
    var make: @Sendable (Int) -> Row

    public var count: Int { entries.count }

    /// The row at `index` in display order.
    public func row(_ index: Int) -> Row { make(entries[index].source) }

    /// Every row's name, in display order (for tests and small tables).
    public var names: [String] { entries.map { make($0.source).name } }
}

extension MessageStates {
    /// The messages the bar shows, without building it.
    var barTotal: Int? {
        switch precision {
        case .exact: return (alpha ?? 0) + (beta ?? 0) + (gamma ?? 0) + (delta ?? 0)
        case .classicQueues: return (alpha ?? 0) + (betaGamma ?? 0) + (delta ?? 0)
        case .ramVersusPagedOut, .quorumInMemory: return (inMemory ?? 0) + (notInMemory ?? 0)
        case .segmentFiles, .unknown: return nil
        }
    }

    /// What a bar column says instead of a bar, when the broker has no states to draw.
    var barStandIn: String {
        precision == .segmentFiles ? "mmap files" : ""
    }

    /// The bar segments and the honest name of what they are.
    var bar: (StateBar, String)? {
        switch precision {
        case .exact:
            return (StateBar(segments: [(alpha ?? 0, .alpha), (beta ?? 0, .beta), (gamma ?? 0, .gamma),
                                        (delta ?? 0, .delta)]), "α β γ δ")
        case .classicQueues:
            return (StateBar(segments: [(alpha ?? 0, .alpha), (betaGamma ?? 0, .beta), (delta ?? 0, .delta)]),
                    "α β+γ δ")
        case .ramVersusPagedOut:
            return (StateBar(segments: [(inMemory ?? 0, .alpha), (notInMemory ?? 0, .delta)]), "RAM/paged")
        case .quorumInMemory:
            return (StateBar(segments: [(inMemory ?? 0, .alpha), (notInMemory ?? 0, .delta)]), "quorum RAM/disk")
        case .segmentFiles, .unknown:
            return nil
        }
    }
}

/// The last table made for each large pane, with what it was made from (see ``ViewState/table(_:)``).
/// A reference shared by copies of a view state: the key says everything the table depends on.
final class TableMemo: Sendable {
    struct Key: Hashable {
        var snapshot: ObjectIdentifier
        var pane: Pane
        var filter: String
        var vhost: String?
        var sortColumn: Int
        var descending: Bool
    }

    private let tables = Mutex<[Pane: (Key, Table)]>([:])
    private let stateTotals = Mutex<(Key, [Int], Set<MessageStatePrecision>)?>(nil)

    func totals(for key: Key) -> ([Int], Set<MessageStatePrecision>)? {
        stateTotals.withLock { $0.flatMap { $0.0 == key ? ($0.1, $0.2) : nil } }
    }

    func store(totals: ([Int], Set<MessageStatePrecision>), for key: Key) {
        stateTotals.withLock { $0 = (key, totals.0, totals.1) }
    }

    func table(for key: Key) -> Table? {
        tables.withLock { $0[key.pane].flatMap { $0.0 == key ? $0.1 : nil } }
    }

    func store(_ table: Table, for key: Key) {
        tables.withLock { $0[key.pane] = (key, table) }
    }
}
