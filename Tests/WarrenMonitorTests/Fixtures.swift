import Foundation
import Testing
@testable import WarrenMonitor

/// Real RabbitMQ 3.10.8 management API responses (copied from the shared captures).
enum Fixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func json(_ name: String) throws -> JSON { try JSON.parse(try data(name)) }

    /// A BrokerState of every list fixture, as one management poll would produce it.
    static func state() throws -> BrokerState {
        BrokerState(
            overview: Overview(json: try json("overview")),
            nodes: try json("nodes").array!.compactMap(NodeInfo.init(json:)),
            vhosts: try json("vhosts").array!.compactMap(VhostInfo.init(json:)),
            queues: try json("queues").array!.compactMap(QueueInfo.init(json:)),
            exchanges: try json("exchanges").array!.compactMap(ExchangeInfo.init(json:)),
            bindings: try json("bindings").array!.compactMap(BindingInfo.init(json:)),
            consumers: try json("consumers").array!.compactMap(ConsumerInfo.init(json:)),
            connections: try json("connections").array!.compactMap(ConnectionInfo.init(json:)))
    }
}
