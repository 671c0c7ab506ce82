import NIOCore
import WarrenClient
import WarrenWire

/// The exchange, queues and bindings of one run, declared before it and deleted after it.
struct PerfTopology: Sendable {
    let exchange: String
    let queues: [String]
    let kind: PerfConfiguration.ExchangeKind

    init(configuration: PerfConfiguration, runID: String) {
        exchange = "\(configuration.namePrefix)-\(runID)-\(configuration.exchangeKind.rawValue)"
        queues = (0..<configuration.queues).map { "\(configuration.namePrefix)-\(runID)-q\($0)" }
        kind = configuration.exchangeKind
    }

    /// The routing key and headers that reach queue `index` (any queue, for fanout).
    func route(toQueue index: Int) -> (key: String, headers: FieldTable?) {
        switch kind {
        case .direct: return ("q\(index)", nil)
        case .fanout: return ("", nil)
        case .topic: return ("perf.q\(index).msg", nil)
        case .headers: return ("", ["q": .string("\(index)")])
        }
    }

    func declare(on channel: AMQPChannel, durable: Bool, extraBindings: Int) async throws {
        try await channel.exchangeDeclare(exchange, type: kind.rawValue, durable: durable)
        for (index, queue) in queues.enumerated() {
            try await channel.queueDeclare(queue, durable: durable)
            switch kind {
            case .direct: try await channel.queueBind(queue, exchange: exchange, routingKey: "q\(index)")
            case .fanout: try await channel.queueBind(queue, exchange: exchange, routingKey: "")
            case .topic: try await channel.queueBind(queue, exchange: exchange, routingKey: "perf.q\(index).#")
            case .headers:
                try await channel.queueBind(queue, exchange: exchange, routingKey: "",
                                            arguments: ["x-match": "all", "q": .string("\(index)")])
            }
        }
        // Bindings that never match but that the router has to look through.
        for n in 0..<extraBindings {
            let queue = queues[n % queues.count]
            switch kind {
            case .direct: try await channel.queueBind(queue, exchange: exchange, routingKey: "unused.\(n)")
            case .fanout: break
            case .topic: try await channel.queueBind(queue, exchange: exchange, routingKey: "unused.\(n).*.#")
            case .headers:
                try await channel.queueBind(queue, exchange: exchange, routingKey: "",
                                            arguments: ["x-match": "all", "unused": .string("\(n)")])
            }
        }
    }

    func delete(on channel: AMQPChannel) async throws {
        for queue in queues { _ = try await channel.queueDelete(queue) }
        try await channel.exchangeDelete(exchange)
    }
}
