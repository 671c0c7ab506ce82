import WarrenWire

/// Where a message would go, computed from exchanges and bindings as a broker routes it: direct,
/// fanout, topic and headers exchanges, exchange-to-exchange bindings, alternate exchanges and the
/// default exchange. A preview, not a promise: the bindings are those of the last listing.
public struct RoutePreview: Sendable, Hashable, Codable {
    /// The queues the message would be delivered to, each once, sorted.
    public var queues: [QueueID]
    /// The exchanges it would pass through, in the order first reached.
    public var exchanges: [String]
    /// Alternate exchanges used because an exchange matched no binding.
    public var alternates: [String]
    /// Why it may not be what the broker does (an unknown exchange, a loop cut short).
    public var notes: [String]

    public var unroutable: Bool { queues.isEmpty }
}

extension RoutePreview {
    /// The route of a message published to `exchange` in `vhost` with `routingKey` and `headers`.
    public static func of(exchange: String, routingKey: String, headers: FieldTable?, vhost: String = "/",
                          exchanges: [ExchangeInfo], bindings: [BindingInfo], queues: [QueueInfo]) -> RoutePreview
    {
        let byName = Dictionary(exchanges.filter { $0.vhost == vhost }.map { ($0.name, $0) },
                                uniquingKeysWith: { a, _ in a })
        var bySource: [String: [BindingInfo]] = [:]
        for binding in bindings where binding.vhost == vhost { bySource[binding.source, default: []].append(binding) }
        let queueNames = Set(queues.filter { $0.vhost == vhost }.map(\.name))
        let headerValues = (headers?.entries ?? []).map { ($0.0, $0.1.json) }
        var preview = RoutePreview(queues: [], exchanges: [], alternates: [], notes: [])
        var reached: Set<String> = []
        var visited: Set<String> = []

        func route(_ name: String) {
            guard visited.insert(name).inserted else { return }
            preview.exchanges.append(name)
            if name.isEmpty {
                // The default exchange: every queue is bound by its own name.
                if queueNames.contains(routingKey) { reached.insert(routingKey) }
                return
            }
            guard let exchange = byName[name] else {
                preview.notes.append("exchange '\(name)' is not in the listing")
                return
            }
            var matched = false
            for binding in bySource[name] ?? [] where matches(binding, type: exchange.type, key: routingKey,
                                                              headers: headerValues)
            {
                matched = true
                if binding.destinationType == "exchange" {
                    route(binding.destination)
                } else {
                    reached.insert(binding.destination)
                }
            }
            if !matched, let alternate = exchange.arguments["alternate-exchange"]?.string {
                preview.alternates.append(alternate)
                route(alternate)
            }
        }
        route(exchange)
        preview.queues = reached.sorted().map { QueueID(vhost: vhost, name: $0) }
        return preview
    }

    static func matches(_ binding: BindingInfo, type: String, key: String, headers: [(String, JSON)]) -> Bool {
        switch type {
        case "fanout": return true
        case "topic": return DeadLetterTopology.topicMatches(pattern: binding.routingKey, key: key)
        case "headers": return headersMatch(binding.arguments, headers)
        default: return binding.routingKey == key
        }
    }

    /// RabbitMQ's headers exchange: `x-match` all (the default) or any; with `all-with-x` and
    /// `any-with-x` arguments starting with `x-` take part too, else they are ignored. A binding
    /// with nothing to match matches every message under `all` and none under `any`. Values are
    /// compared as the management API shows them (numbers as numbers, whatever their AMQP width).
    static func headersMatch(_ arguments: [String: JSON], _ headers: [(String, JSON)]) -> Bool {
        let mode = arguments["x-match"]?.string ?? "all"
        let withX = mode.hasSuffix("-with-x")
        let any = mode.hasPrefix("any")
        let wanted = arguments.filter { $0.key != "x-match" && (withX || !$0.key.hasPrefix("x-")) }
        let present = Dictionary(headers, uniquingKeysWith: { first, _ in first })
        func hit(_ key: String, _ value: JSON) -> Bool {
            guard let actual = present[key] else { return false }
            return value == .null || actual == value
        }
        return any ? wanted.contains { hit($0.key, $0.value) } : wanted.allSatisfy { hit($0.key, $0.value) }
    }
}
