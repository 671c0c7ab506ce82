import WarrenWire

/// An exchange and its bindings (those where it is the source).
final class Exchange {
    let name: String
    let type: ExchangeType
    let durable: Bool
    let autoDelete: Bool
    let isInternal: Bool
    let arguments: FieldTable
    private(set) var bindings: [Binding] = []
    private let router: RouterStorage

    /// Messages published to this exchange, and messages it routed onwards (for statistics).
    var publishedIn: UInt64 = 0
    var routedOut: UInt64 = 0

    /// One enum case per type, so routing is a switch rather than a dynamic call.
    private enum RouterStorage {
        case direct(DirectRouter)
        case fanout(FanoutRouter)
        case topic(TopicRouter)
        case headers(HeadersRouter)
    }

    init(name: String, type: ExchangeType, durable: Bool, autoDelete: Bool, isInternal: Bool, arguments: FieldTable) {
        self.name = name
        self.type = type
        self.durable = durable
        self.autoDelete = autoDelete
        self.isInternal = isInternal
        self.arguments = arguments
        switch type {
        case .direct: router = .direct(DirectRouter())
        case .fanout: router = .fanout(FanoutRouter())
        case .topic: router = .topic(TopicRouter())
        case .headers: router = .headers(HeadersRouter())
        }
    }

    /// The policy that applies to it (operator policies have no setting for exchanges).
    var policy: Policy?

    /// The argument's alternate exchange, else the policy's (rabbit_policy:get_arg/3: an
    /// argument wins).
    var alternateExchange: String? {
        arguments["alternate-exchange"]?.stringValue ?? policy?.definition["alternate-exchange"]?.stringValue
    }

    /// The exchange type's check of a new binding: a headers exchange accepts only RabbitMQ's
    /// four x-match values.
    func validate(_ binding: Binding) throws(BrokerError) {
        guard type == .headers, let match = binding.arguments["x-match"] else { return }
        guard let text = match.stringValue else {
            throw .precondition("Invalid x-match field type \(ArgumentEquivalence.typeName(match)) (value "
                + "\(ArgumentEquivalence.erlangTerm(match))); expected longstr")
        }
        guard ["all", "any", "all-with-x", "any-with-x"].contains(text) else {
            throw .precondition("Invalid x-match field value \(ArgumentEquivalence.erlangTerm(match)); expected all, "
                + "any, all-with-x, or any-with-x")
        }
    }

    /// Adds a binding unless an identical one exists; returns whether it was added.
    @discardableResult
    func bind(_ binding: Binding) -> Bool {
        guard !bindings.contains(binding) else { return false }
        bindings.append(binding)
        switch router {
        case .direct(let r): r.add(binding)
        case .fanout(let r): r.add(binding)
        case .topic(let r): r.add(binding)
        case .headers(let r): r.add(binding)
        }
        return true
    }

    /// Removes a binding; returns whether it existed.
    @discardableResult
    func unbind(_ binding: Binding) -> Bool {
        guard let index = bindings.firstIndex(of: binding) else { return false }
        bindings.remove(at: index)
        switch router {
        case .direct(let r): r.remove(binding)
        case .fanout(let r): r.remove(binding)
        case .topic(let r): r.remove(binding)
        case .headers(let r): r.remove(binding)
        }
        return true
    }

    /// Removes every binding to `destination`.
    func unbindAll(to destination: BindingDestination) {
        for binding in bindings where binding.destination == destination { unbind(binding) }
    }

    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination]) {
        switch router {
        case .direct(let r): r.route(routingKey: routingKey, headers: headers, into: &destinations)
        case .fanout(let r): r.route(routingKey: routingKey, headers: headers, into: &destinations)
        case .topic(let r): r.route(routingKey: routingKey, headers: headers, into: &destinations)
        case .headers(let r): r.route(routingKey: routingKey, headers: headers, into: &destinations)
        }
    }
}
