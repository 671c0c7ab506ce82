/// Why Warren counts a queue as a dead-letter queue.
public enum DeadLetterEvidence: String, Sendable, Hashable, Codable {
    /// Some queue's dead-letter exchange (argument or policy) routes into it.
    case deadLetterExchange
    /// Its name follows a manual retry / parking pattern (`*.dlq`, `*.dead`, `*-dlx`, `*.retry`, ...).
    case name
}

/// A route by which one queue's dead letters reach another queue.
public struct DeadLetterRoute: Sendable, Hashable, Codable {
    public var source: QueueID
    /// The dead-letter exchange ("" is the default exchange).
    public var exchange: String
    /// The dead-letter routing key; `nil` means the message keeps its own routing keys.
    public var routingKey: String?
    public var target: QueueID
    /// False when the route depends on routing keys only the messages know (no dead-letter
    /// routing key set, through a direct or topic exchange) or on headers: such a target may get
    /// some of the source's dead letters, not necessarily all.
    public var certain: Bool
    /// Set from a policy rather than the queue's own arguments.
    public var fromPolicy: Bool
}

/// A dead-letter queue: what feeds it, how deep it is and how fast it grows.
public struct DeadLetterQueue: Sendable, Hashable, Codable {
    public var queue: QueueID
    public var evidence: Set<DeadLetterEvidence>
    public var sources: [QueueID]
    public var depth: Int?
    /// Messages per second added (positive) or drained.
    public var growth: Rate?
}

/// The dead-letter topology of a broker, derived from queues, exchanges and bindings.
public struct DeadLetterTopology: Sendable, Hashable, Codable {
    public var routes: [DeadLetterRoute]
    public var queues: [DeadLetterQueue]

    public init(routes: [DeadLetterRoute] = [], queues: [DeadLetterQueue] = []) {
        self.routes = routes
        self.queues = queues.sorted { $0.queue < $1.queue }
    }

    public func queue(_ id: QueueID) -> DeadLetterQueue? {
        // `queues` is sorted by identity (see derive).
        var low = 0
        var high = queues.count
        while low < high {
            let middle = (low + high) / 2
            if queues[middle].queue < id { low = middle + 1 } else { high = middle }
        }
        return low < queues.count && queues[low].queue == id ? queues[low] : nil
    }

    /// Suffixes (after `.`, `-` or `_`) that manual retry and parking-lot patterns use.
    static let nameMarkers: Set<String> = [
        "dlq", "dlx", "dead", "deadletter", "dead-letter", "dead_letter", "retry", "parking", "parkinglot",
        "parking-lot", "parking_lot", "error", "errors", "poison",
    ]

    /// True for names such as `orders.dlq`, `orders-dlx`, `orders.retry.1`, `billing.parking-lot`.
    public static func looksLikeDeadLetterQueue(_ name: String) -> Bool {
        let lowered = name.lowercased()
        let words = lowered.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" }).map(String.init)
        guard words.count >= 2 else { return false }
        // The marker must come after the first word (`dlq.handler` is a consumer's name), and
        // may be followed by a number (`orders.retry.3`).
        var tail = Array(words.dropFirst())
        if let last = tail.last, Int(last) != nil { tail.removeLast() }
        guard let last = tail.last else { return false }
        if nameMarkers.contains(last) { return true }
        if tail.count >= 2, nameMarkers.contains(tail[tail.count - 2] + "-" + last) { return true }
        return false
    }

    /// Derives the topology. `rates` gives each queue's depth growth.
    public static func derive(queues: [QueueInfo], exchanges: [ExchangeInfo], bindings: [BindingInfo],
                              rates: [QueueID: QueueRates]) -> DeadLetterTopology {
        let queueIDs = Set(queues.map(\.id))
        let exchangesByID = Dictionary(exchanges.map { (ExchangeKey(vhost: $0.vhost, name: $0.name), $0) },
                                       uniquingKeysWith: { a, _ in a })
        let bindingsBySource = Dictionary(grouping: bindings) { ExchangeKey(vhost: $0.vhost, name: $0.source) }

        var routes: [DeadLetterRoute] = []
        for queue in queues {
            guard let dlx = queue.setting("x-dead-letter-exchange")?.string else { continue }
            let key = queue.setting("x-dead-letter-routing-key")?.string
            let fromPolicy = queue.arguments["x-dead-letter-exchange"] == nil
            var targets: [QueueID: Bool] = [:]
            if dlx.isEmpty {
                // The default exchange routes to the queue named by the key. Without a key the
                // message keeps its own keys: for a message published to the queue by name that is
                // the queue itself, a cycle RabbitMQ drops, so nothing can be said.
                if let key, queueIDs.contains(QueueID(vhost: queue.vhost, name: key)) {
                    targets[QueueID(vhost: queue.vhost, name: key)] = true
                }
            } else {
                var visited: Set<ExchangeKey> = []
                route(exchange: ExchangeKey(vhost: queue.vhost, name: dlx), key: key, certain: true,
                      exchanges: exchangesByID, bindings: bindingsBySource, visited: &visited, into: &targets)
            }
            for (target, certain) in targets.sorted(by: { $0.key < $1.key }) where target != queue.id {
                routes.append(DeadLetterRoute(source: queue.id, exchange: dlx, routingKey: key, target: target,
                                              certain: certain, fromPolicy: fromPolicy))
            }
        }

        var dlqs: [QueueID: DeadLetterQueue] = [:]
        let byID = Dictionary(queues.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func entry(_ id: QueueID) -> DeadLetterQueue {
            dlqs[id] ?? DeadLetterQueue(queue: id, evidence: [], sources: [], depth: byID[id]?.messages,
                                         growth: rates[id]?.depth)
        }
        // A set beside each source list: one DLQ fed by 10,000 queues made this loop quadratic.
        var seen: [QueueID: Set<QueueID>] = [:]
        for route in routes {
            if dlqs[route.target] == nil { dlqs[route.target] = entry(route.target) }
            // In place: a copy taken out and stored back would copy the whole source list each time.
            dlqs[route.target]!.evidence.insert(.deadLetterExchange)
            if seen[route.target, default: []].insert(route.source).inserted {
                dlqs[route.target]!.sources.append(route.source)
            }
        }
        for queue in queues where looksLikeDeadLetterQueue(queue.name) {
            var dlq = entry(queue.id)
            dlq.evidence.insert(.name)
            dlqs[queue.id] = dlq
        }
        return DeadLetterTopology(routes: routes, queues: Array(dlqs.values))
    }

    struct ExchangeKey: Hashable {
        var vhost: String
        var name: String
    }

    /// Follows bindings from an exchange (and on through exchange-to-exchange bindings) to the
    /// queues a message with `key` (or an unknown key when `nil`) may reach.
    private static func route(
        exchange: ExchangeKey, key: String?, certain: Bool, exchanges: [ExchangeKey: ExchangeInfo],
        bindings: [ExchangeKey: [BindingInfo]], visited: inout Set<ExchangeKey>, into targets: inout [QueueID: Bool]
    ) {
        guard visited.insert(exchange).inserted else { return }
        let type = exchanges[exchange]?.type ?? "direct"
        for binding in bindings[exchange] ?? [] {
            let match: Bool?  // nil: depends on what the message carries
            switch type {
            case "fanout": match = true
            case "headers": match = nil
            case "topic": match = key.map { topicMatches(pattern: binding.routingKey, key: $0) }
            default: match = key.map { $0 == binding.routingKey }
            }
            if match == false { continue }
            let sure = certain && match == true
            if binding.destinationType == "exchange" {
                route(exchange: ExchangeKey(vhost: exchange.vhost, name: binding.destination), key: key, certain: sure,
                      exchanges: exchanges, bindings: bindings, visited: &visited, into: &targets)
            } else {
                let target = QueueID(vhost: exchange.vhost, name: binding.destination)
                targets[target] = (targets[target] ?? false) || sure
            }
        }
        if let alternate = exchanges[exchange]?.arguments["alternate-exchange"]?.string {
            // Only messages no binding took go there, so it is never certain.
            route(exchange: ExchangeKey(vhost: exchange.vhost, name: alternate), key: key, certain: false,
                  exchanges: exchanges, bindings: bindings, visited: &visited, into: &targets)
        }
    }

    /// AMQP topic matching: words separated by `.`, `*` is one word, `#` zero or more.
    public static func topicMatches(pattern: String, key: String) -> Bool {
        let p = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let k = key.split(separator: ".", omittingEmptySubsequences: false)
        var memo: [Int: Bool] = [:]
        func match(_ i: Int, _ j: Int) -> Bool {
            let slot = i * (k.count + 1) + j
            if let known = memo[slot] { return known }
            let result: Bool
            if i == p.count {
                result = j == k.count
            } else if p[i] == "#" {
                result = match(i + 1, j) || (j < k.count && match(i, j + 1))
            } else if j < k.count && (p[i] == "*" || p[i] == k[j]) {
                result = match(i + 1, j + 1)
            } else {
                result = false
            }
            memo[slot] = result
            return result
        }
        return match(0, 0)
    }
}
