import Foundation

/// Something a replay plan predicts will go wrong, with the messages concerned.
public struct ReplayWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The target queue no longer exists: the messages would be returned and stay.
        case targetMissing
        /// The target exchange routes the messages to no queue.
        case unroutable
        /// The target queue is at or would go over its length limit.
        case full
        /// The target queue would be close to its length or byte limit.
        case nearlyFull
        /// The target queue expires messages and nobody consumes it.
        case expires
        /// The target queue would dead-letter the messages back into this DLQ.
        case loop
        /// Messages that died many times: likely poison.
        case poison
    }

    public var kind: Kind
    /// The queue concerned (none for poison).
    public var queue: String?
    /// Messages concerned; an estimate when the plan sampled the DLQ.
    public var messages: Int
    /// Certain from what the broker reports, not a guess (a certain loop is refused without --force).
    public var certain: Bool
    public var text: String

    public var description: String { text }

    public init(kind: Kind, queue: String?, messages: Int, certain: Bool, text: String) {
        self.kind = kind
        self.queue = queue
        self.messages = messages
        self.certain = certain
        self.text = text
    }
}

/// The checks a replay plan makes of its targets, from the broker's queues, exchanges and bindings.
public enum ReplayPlanCheck {
    /// Messages that died this many times or more are called likely poison.
    public static let poisonDeaths = 3

    /// The checks of a dry run's report against a topology (queues with their arguments, effective
    /// policies, depth and consumers; exchanges; bindings) of the DLQ's virtual host.
    public static func warnings(for report: ReplayReport, dlq: QueueID, exchanges: [ExchangeInfo],
                                bindings: [BindingInfo], queues: [QueueInfo]) -> [ReplayWarning]
    {
        let progress = report.progress
        // Counts of a sample stand for the whole queue in proportion.
        let scale = report.sampled && progress.seen > 0 ? Double(report.queueLength) / Double(progress.seen) : 1
        func estimate(_ count: Int) -> Int { Int((Double(count) * scale).rounded()) }
        let byName = Dictionary(queues.filter { $0.vhost == dlq.vhost }.map { ($0.name, $0) },
                                uniquingKeysWith: { a, _ in a })
        let exchangeTypes = Dictionary(exchanges.filter { $0.vhost == dlq.vhost }.map { ($0.name, $0.type) },
                                       uniquingKeysWith: { a, _ in a })
        var warnings: [ReplayWarning] = []
        var arriving: [String: Int] = [:]
        var keys: [String: String] = [:]
        for (label, count) in progress.perTarget.sorted(by: { $0.key < $1.key }) {
            guard let destination = progress.destinations[label] else { continue }
            let route = RoutePreview.of(exchange: destination.exchange, routingKey: destination.routingKey,
                                        headers: nil, vhost: dlq.vhost, exchanges: exchanges, bindings: bindings,
                                        queues: queues)
            let n = estimate(count)
            if route.unroutable {
                if destination.exchange.isEmpty {
                    warnings.append(ReplayWarning(
                        kind: .targetMissing, queue: destination.routingKey, messages: n, certain: true,
                        text: "queue '\(destination.routingKey)' does not exist: \(n) messages would be returned "
                            + "and stay in the DLQ"))
                } else if exchangeTypes[destination.exchange] != "headers" {
                    // A headers exchange matches on what each message carries; no warning from a guess.
                    warnings.append(ReplayWarning(
                        kind: .unroutable, queue: nil, messages: n, certain: route.notes.isEmpty,
                        text: "exchange '\(destination.exchange)' routes key '\(destination.routingKey)' to no queue: "
                            + "\(n) messages would be returned and stay in the DLQ"))
                }
            }
            for queue in route.queues {
                arriving[queue.name, default: 0] += n
                keys[queue.name] = keys[queue.name] ?? destination.routingKey
            }
        }
        for (name, n) in arriving.sorted(by: { $0.key < $1.key }) {
            guard let queue = byName[name] else { continue }
            warnings += check(queue, receiving: n, routingKey: keys[name] ?? name, dlq: dlq, exchanges: exchanges,
                              bindings: bindings, queues: queues)
        }
        let poison = progress.deaths.reduce(0) { total, entry in
            (Int(entry.key) ?? 0) >= poisonDeaths ? total + entry.value : total
        }
        if poison > 0 {
            let most = progress.deaths.keys.compactMap(Int.init).max() ?? poisonDeaths
            warnings.append(ReplayWarning(
                kind: .poison, queue: nil, messages: estimate(poison), certain: false,
                text: "\(estimate(poison)) messages died \(poisonDeaths) or more times (at most \(most)): likely poison; "
                    + "--max-deaths \(poisonDeaths - 1) keeps them in the DLQ"))
        }
        return warnings
    }

    /// What happens to `n` messages arriving in `queue`.
    static func check(_ queue: QueueInfo, receiving n: Int, routingKey: String, dlq: QueueID,
                      exchanges: [ExchangeInfo], bindings: [BindingInfo], queues: [QueueInfo]) -> [ReplayWarning]
    {
        guard queue.id != dlq else { return [] }
        var warnings: [ReplayWarning] = []
        let name = queue.name
        let depth = queue.messages ?? 0
        let overflow = queue.setting("x-overflow")?.string ?? "drop-head"
        // Messages that die again on arrival, and whether that is certain.
        var dying = 0
        if let limit = limit(queue, "x-max-length") {
            let after = depth + n
            if after > limit {
                let excess = min(n, after - limit)
                let fate: String
                switch overflow {
                case "reject-publish": fate = "refused (nacked) and stay in the DLQ"
                case "reject-publish-dlx": fate = "refused and dead-lettered"
                default: fate = "pushed out from the queue's head (dead-lettered, or dropped without a dead-letter exchange)"
                }
                if overflow != "reject-publish" { dying = max(dying, excess) }
                warnings.append(ReplayWarning(
                    kind: .full, queue: name, messages: excess, certain: true,
                    text: "queue '\(name)' holds \(depth) of at most \(limit) (overflow \(overflow)): \(excess) of the "
                        + "\(n) replayed would be \(fate)"))
            } else if Double(after) >= 0.9 * Double(limit) {
                warnings.append(ReplayWarning(
                    kind: .nearlyFull, queue: name, messages: n, certain: false,
                    text: "queue '\(name)' would hold \(after) of at most \(limit) after the replay"))
            }
        }
        if let bytesLimit = limit(queue, "x-max-length-bytes"), let bytes = queue.messageBytes,
           Double(bytes) >= 0.9 * Double(bytesLimit)
        {
            warnings.append(ReplayWarning(
                kind: .nearlyFull, queue: name, messages: n, certain: false,
                text: "queue '\(name)' holds \(bytes) bytes of at most \(bytesLimit) (overflow \(overflow)): "
                    + "the replayed messages may not fit"))
        }
        if let ttl = limit(queue, "x-message-ttl"), (queue.consumers ?? 0) == 0 {
            dying = n
            warnings.append(ReplayWarning(
                kind: .expires, queue: name, messages: n, certain: true,
                text: "queue '\(name)' expires messages after \(ttl) ms and has no consumer: the \(n) replayed "
                    + "would expire"))
        }
        if dying > 0, let exchange = queue.setting("x-dead-letter-exchange")?.string {
            let key = queue.setting("x-dead-letter-routing-key")?.string ?? routingKey
            let route = RoutePreview.of(exchange: exchange, routingKey: key, headers: nil, vhost: queue.vhost,
                                        exchanges: exchanges, bindings: bindings, queues: queues)
            if route.queues.contains(dlq) {
                warnings.append(ReplayWarning(
                    kind: .loop, queue: name, messages: dying, certain: route.notes.isEmpty,
                    text: "loop: queue '\(name)' would dead-letter \(dying) of them straight back into '\(dlq.name)' "
                        + "(through '\(exchange.isEmpty ? "(default)" : exchange)')"))
            }
        }
        return warnings
    }

    /// A numeric limit from the queue's argument and its effective policy: the lower of the two,
    /// as RabbitMQ resolves max-length, max-length-bytes and message-ttl.
    static func limit(_ queue: QueueInfo, _ argument: String) -> Int? {
        let policyKey = String(argument.dropFirst(2))
        let values = [queue.arguments[argument]?.int, queue.effectivePolicy[policyKey]?.int].compactMap { $0 }
        return values.min()
    }

    /// The checks against a live broker through its management API: the vhost's exchanges and
    /// bindings, and each queue the plan reaches in detail.
    public static func warnings(for report: ReplayReport, dlq: QueueID, management: ManagementSource) async throws
        -> [ReplayWarning]
    {
        let topology = try await management.routingTopology(vhost: dlq.vhost)
        var queues = topology.queues
        let reached = Set(report.progress.destinations.values.flatMap { destination in
            RoutePreview.of(exchange: destination.exchange, routingKey: destination.routingKey, headers: nil,
                            vhost: dlq.vhost, exchanges: topology.exchanges, bindings: topology.bindings,
                            queues: queues).queues
        })
        for index in queues.indices where reached.contains(queues[index].id) {
            if let detail = try? await management.queueDetail(queues[index].id) { queues[index] = detail }
        }
        return warnings(for: report, dlq: dlq, exchanges: topology.exchanges, bindings: topology.bindings,
                        queues: queues)
    }
}
