import Foundation

/// The poll plan for a large broker, as a value: when to read the full queue list, what to ask
/// statistics for, how to merge. No I/O, no clock of its own.
public struct PollPlan: Sendable, Hashable {
    /// From this many queues on, the first poll reads only the page in view (see fetchPlanned).
    public var pageFirstBroker = 20_000
    /// From this many queues on, a poll asks for statistics only for what the screen needs.
    /// Below it, one /api/queues with statistics costs RabbitMQ little and gives every rate.
    public var largeBroker = 1_000
    /// The full list is read at most this often at scale (twice a minute) ...
    public var minimumInventoryInterval: TimeInterval = 30
    /// ... and the dead-letter sources' statistics at most this often ...
    public var minimumSourceInterval: TimeInterval = 60
    /// ... and each of the two never more often than this many times its own duration: its
    /// average cost to RabbitMQ stays under 1.5% of a core. Measured at 10,000 queues (/proc CPU
    /// of beam.smp per request): the inventory 0.7 s, statistics 1.4 ms per queue (1.6 s for
    /// 1,000 sources); read every 30 s together they cost RabbitMQ 8% of a core on their own.
    public var periodicCostFactor: Double = 67
    /// Names per `name=` expression: the answer must fit one page.
    public var namesPerRequest = 400
    /// Percent-encoded characters per expression: RabbitMQ refuses request lines over about 8 KB.
    public var maximumExpressionLength = 6_000
    /// Up to this many named queues are asked for one by one (GET /api/queues/VHOST/NAME costs
    /// RabbitMQ about 0.03 s); more, by expression (any listing costs it about 0.15 s for 10,000
    /// queues, whatever it returns).
    public var individualLookups = 8
    /// RabbitMQ's largest page.
    public static let maximumPageSize = 500

    public init() {}

    public func isLarge(queueCount: Int?) -> Bool {
        (queueCount ?? 0) >= largeBroker
    }

    /// Whether the inventory must be read again now.
    public func inventoryDue(_ record: PollRecord?, at now: Date) -> Bool {
        guard let record, let at = record.inventoryAt else { return true }
        return now.timeIntervalSince(at) >= inventoryInterval(record)
    }

    /// Seconds between two readings of the inventory, given what the last one cost.
    public func inventoryInterval(_ record: PollRecord) -> TimeInterval {
        max(minimumInventoryInterval, periodicCostFactor * record.inventoryDuration)
    }

    /// Whether the dead-letter sources' statistics must be read again now.
    public func sourcesDue(_ record: PollRecord?, at now: Date) -> Bool {
        guard let record, let at = record.sourceStatisticsAt else { return true }
        return now.timeIntervalSince(at) >= sourceInterval(record)
    }

    /// Seconds between two readings of the sources' statistics, given what the last one cost.
    public func sourceInterval(_ record: PollRecord) -> TimeInterval {
        max(minimumSourceInterval, periodicCostFactor * record.sourceStatisticsDuration)
    }

    /// At most this many exchanges are asked for their bindings one by one (GET
    /// /api/exchanges/VHOST/NAME/bindings/source, about 0.01 s each); more, by one /api/bindings.
    /// That listing holds every queue's binding to the default exchange: 1.6 MB and 0.27 s of
    /// RabbitMQ's CPU at 10,000 queues, for bindings that follow from the queue list anyway.
    public var bindingsBySource = 100

    /// The queues outside the screen's page that need statistics at every poll: the dead-letter
    /// queues (their depth and growth are what an operator watches) and the open queue.
    public func queuesEveryPoll(_ topology: DeadLetterTopology, focus: PollFocus?) -> [QueueID] {
        var wanted = Set(topology.queues.map(\.queue))
        if let open = focus?.openQueue { wanted.insert(open) }
        return wanted.sorted()
    }

    /// The queues that need statistics from time to time (``sourcesDue(_:at:)``): the sources
    /// of every dead-letter queue that holds messages (what is being dead-lettered, and from
    /// where, is worth its cost there). Thousands of queues may feed an empty DLQ; asking for all
    /// of them, every poll or with every inventory, doubled what a poll costs RabbitMQ.
    public func deadLetterSources(_ topology: DeadLetterTopology) -> [QueueID] {
        Array(Set(topology.queues.filter { ($0.depth ?? 0) > 0 }.flatMap(\.sources))).sorted()
    }

    /// `name` values (for `use_regex=true`) that together match exactly the given names. Names
    /// are folded into a trie (`^scale\.q00(?:10|20)$`): RabbitMQ tests every queue's name against
    /// the expression, and a list of alternatives costs it time per alternative per queue (100
    /// names against 10,000 queues took 0.9 s) where a trie fails at the first differing character.
    /// Split so that each URL stays under RabbitMQ's request-line limit (it answered 414 at 9.5
    /// KB) and each answer fits one page. RabbitMQ's regex is caseless: a request may bring a few
    /// more queues back, which are dropped by identity.
    public func nameExpressions(_ ids: [QueueID]) -> [String] {
        let names = Array(Set(ids.map(\.name))).sorted()
        var expressions: [String] = []
        func add(_ slice: ArraySlice<String>) {
            guard !slice.isEmpty else { return }
            let expression = "^" + NameTrie(slice).expression + "$"
            if slice.count == 1 || (slice.count <= namesPerRequest && Self.encodedLength(expression) <= maximumExpressionLength) {
                expressions.append(expression)
            } else {
                let middle = slice.startIndex + slice.count / 2
                add(slice[slice.startIndex..<middle])
                add(slice[middle...])
            }
        }
        add(names[...])
        return expressions
    }

    /// The length of `expression` once percent-encoded in a query.
    static func encodedLength(_ expression: String) -> Int {
        expression.utf8.reduce(0) { length, byte in
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            return length + (plain ? 1 : 3)
        }
    }

    /// The page the screen shows: its size covers every row in view.
    public func pageSize(_ focus: PollFocus) -> Int {
        min(Self.maximumPageSize, max(1, focus.rows))
    }

    /// The inventory with the freshly detailed queues in place of their inventory entries.
    public func merge(inventory: [QueueInfo], detailed: [QueueInfo]) -> [QueueInfo] {
        guard !detailed.isEmpty else { return inventory }
        var byID: [QueueID: QueueInfo] = [:]
        byID.reserveCapacity(detailed.count)
        for queue in detailed { byID[queue.id] = queue }
        var merged = inventory
        for index in merged.indices {
            if let fresh = byID.removeValue(forKey: merged[index].id) { merged[index] = fresh }
        }
        // Queues declared since the inventory was read.
        merged.append(contentsOf: byID.values.sorted { $0.id < $1.id })
        return merged
    }

    /// PCRE metacharacters escaped, so a queue name matches only itself.
    static func escapeRegex(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        for character in name {
            if "\\^$.|?*+()[]{}/-#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// Queue names folded into a regular expression by common prefixes.
struct NameTrie {
    private final class Node {
        var children: [Character: Node] = [:]
        var terminal = false
    }

    private let root = Node()

    init(_ names: some Sequence<String>) {
        for name in names {
            var node = root
            for character in name {
                if let next = node.children[character] {
                    node = next
                } else {
                    let next = Node()
                    node.children[character] = next
                    node = next
                }
            }
            node.terminal = true
        }
    }

    /// PCRE syntax, without anchors.
    var expression: String { Self.emit(root) }

    private static func emit(_ node: Node) -> String {
        let alternatives = node.children.sorted { $0.key < $1.key }.map { PollPlan.escapeRegex(String($0.key)) + emit($0.value) }
        if alternatives.isEmpty { return "" }
        if alternatives.count == 1 && !node.terminal { return alternatives[0] }
        let group = "(?:" + alternatives.joined(separator: "|") + ")"
        return node.terminal ? group + "?" : group
    }
}
