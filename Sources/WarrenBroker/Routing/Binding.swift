import WarrenWire

/// Where a binding leads: a queue, or another exchange (RabbitMQ's exchange-to-exchange bindings).
enum BindingDestination: Hashable {
    case queue(String)
    case exchange(String)

    var name: String {
        switch self {
        case .queue(let name), .exchange(let name): return name
        }
    }

    var isQueue: Bool {
        if case .queue = self { return true }
        return false
    }
}

struct Binding: Hashable {
    var source: String
    var destination: BindingDestination
    var routingKey: String
    var arguments: FieldTable
}

/// The four exchange types of AMQP 0-9-1.
enum ExchangeType: String {
    case direct, fanout, topic, headers
}

/// An exchange's routing table for one type.
protocol Router: AnyObject {
    func add(_ binding: Binding)
    func remove(_ binding: Binding)
    /// Destinations for a message; may contain duplicates, which the caller removes.
    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination])
}

final class DirectRouter: Router {
    private var byKey: [String: [BindingDestination]] = [:]

    func add(_ binding: Binding) {
        byKey[binding.routingKey, default: []].append(binding.destination)
    }

    func remove(_ binding: Binding) {
        guard var list = byKey[binding.routingKey], let index = list.firstIndex(of: binding.destination) else { return }
        list.remove(at: index)
        byKey[binding.routingKey] = list.isEmpty ? nil : list
    }

    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination]) {
        if let list = byKey[routingKey] { destinations.append(contentsOf: list) }
    }
}

final class FanoutRouter: Router {
    private var all: [BindingDestination] = []

    func add(_ binding: Binding) { all.append(binding.destination) }

    func remove(_ binding: Binding) {
        if let index = all.firstIndex(of: binding.destination) { all.remove(at: index) }
    }

    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination]) {
        destinations.append(contentsOf: all)
    }
}

/// Headers exchange: `x-match` `all` (default) or `any`; `all-with-x` / `any-with-x` also compare
/// `x-` keys, which plain `all`/`any` skip. A binding value of type void matches on presence.
final class HeadersRouter: Router {
    private var bindings: [Binding] = []

    func add(_ binding: Binding) { bindings.append(binding) }

    func remove(_ binding: Binding) {
        if let index = bindings.firstIndex(of: binding) { bindings.remove(at: index) }
    }

    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination]) {
        let messageHeaders = headers?.entries ?? []
        for binding in bindings where Self.matches(binding.arguments, messageHeaders) {
            destinations.append(binding.destination)
        }
    }

    static func matches(_ arguments: FieldTable, _ headers: [(String, FieldValue)]) -> Bool {
        let mode = arguments["x-match"]?.stringValue ?? "all"
        let includeX = mode.hasSuffix("-with-x")
        let any = mode.hasPrefix("any")
        for (key, wanted) in arguments.entries where key != "x-match" && (includeX || !key.hasPrefix("x-")) {
            let found = headers.first(where: { $0.0 == key })?.1
            let hit: Bool
            if case .void = wanted { hit = found != nil } else { hit = found.map { valuesMatch($0, wanted) } ?? false }
            if any && hit { return true }
            if !any && !hit { return false }
        }
        // `all` with every candidate matched (or none to check); `any` with no match.
        return !any
    }

    /// RabbitMQ compares header values by type and value, but treats integer types alike.
    private static func valuesMatch(_ a: FieldValue, _ b: FieldValue) -> Bool {
        if let x = a.int64Value, let y = b.int64Value { return x == y }
        return a == b
    }
}
