import Foundation

/// Which broker Warren is talking to, and its version: learned once from `/api/overview` (or,
/// over AMQP alone, from the server properties of connection.start), and the one place that
/// knows. What differs between brokers' management APIs is mapped by ``ManagementDialect``,
/// which this chooses; panes and commands only ever name the broker.
public struct BrokerIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Product: String, Sendable, Hashable, Codable {
        case rabbitmq
        /// CloudAMQP's LavinMQ: a RabbitMQ-like management API with its own field names.
        case lavinmq
        /// Warren's embedded broker.
        case warren
        /// Anything else that serves a RabbitMQ-compatible API; ``name`` says what it called itself.
        case other
    }

    public var product: Product
    /// The product's own name, as shown: "RabbitMQ", "LavinMQ", "Warren", or what another says.
    public var name: String
    public var version: String?

    public init(product: Product, name: String? = nil, version: String? = nil) {
        self.product = product
        self.name = name ?? Self.defaultName(product)
        self.version = version
    }

    /// From `/api/overview`: LavinMQ says `lavinmq_version` (and no product name), Warren's embedded
    /// broker `product_name: Warren`, RabbitMQ `product_name: RabbitMQ` (3.7 and older only
    /// `rabbitmq_version`).
    public init(overview json: JSON) {
        if let version = json["lavinmq_version"]?.string {
            self.init(product: .lavinmq, version: version)
            return
        }
        let named = json["product_name"]?.string
        let version = json["product_version"]?.string ?? json["rabbitmq_version"]?.string
        self.init(named: named ?? (json["rabbitmq_version"] != nil ? "RabbitMQ" : nil), version: version)
    }

    /// From AMQP server properties (`product`, `version`).
    public init(serverProduct product: String?, version: String?) {
        self.init(named: product, version: version)
    }

    private init(named name: String?, version: String?) {
        switch name?.lowercased() {
        case "rabbitmq": self.init(product: .rabbitmq, version: version)
        case "lavinmq": self.init(product: .lavinmq, version: version)
        case "warren": self.init(product: .warren, version: version)
        case let other?: self.init(product: .other, name: name ?? other, version: version)
        case nil: self.init(product: .other, name: "the broker", version: version)
        }
    }

    private static func defaultName(_ product: Product) -> String {
        switch product {
        case .rabbitmq: return "RabbitMQ"
        case .lavinmq: return "LavinMQ"
        case .warren: return "Warren"
        case .other: return "the broker"
        }
    }

    /// "LavinMQ 1.0.1", "RabbitMQ 3.10.8".
    public var description: String { [name, version].compactMap { $0 }.joined(separator: " ") }

    /// The broker as the subject of a sentence: "LavinMQ", "Warren's embedded broker".
    public var subject: String { product == .warren ? "Warren's embedded broker" : name }

    /// How its management API names what Warren's model reads.
    public var dialect: ManagementDialect { product == .lavinmq ? .lavinmq : .rabbitmq }
}
