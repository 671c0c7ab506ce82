import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// Policies and operator policies are part of the durable definitions: after a restart they are
/// still listed and still apply, to the recovered queues and to new ones.
@Suite struct PolicyRecoveryTests {
    static let dlx = Policy(vhost: "/", name: "dlx", pattern: "^kept\\.", applyTo: .queues, priority: 2,
                            definition: ["dead-letter-exchange": .string("dead"), "max-length": .int64(5)])
    static let cap = Policy(vhost: "/", name: "cap", pattern: "^kept\\.", applyTo: .queues, priority: 1.5,
                            definition: ["max-length": .int64(2)])
    static let ae = Policy(vhost: "/", name: "ae", pattern: "^front$", applyTo: .exchanges,
                           definition: ["alternate-exchange": .string("dead")])

    @Test func policiesSurviveARestartAndStillApply() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        _ = try await broker.withOperations { (operations) throws(ManagementError) in
            _ = try operations.putPolicy(Self.dlx, operator: false)
            _ = try operations.putPolicy(Self.ae, operator: false)
            _ = try operations.putPolicy(Self.cap, operator: true)
            _ = try operations.putPolicy(Policy(vhost: "/", name: "gone", pattern: ".*", definition: ["expires": .int64(9)]),
                                         operator: false)
            try operations.deletePolicy(vhost: "/", name: "gone", operator: false)
        }
        var connection = try await connect(broker)
        var channel = try await connection.openChannel()
        try await channel.exchangeDeclare("dead", type: "fanout", durable: true)
        _ = try await channel.queueDeclare("dead.q", durable: true)
        try await channel.queueBind("dead.q", exchange: "dead")
        _ = try await channel.queueDeclare("kept.one", durable: true)
        try await channel.exchangeDeclare("front", durable: true)
        try? await connection.close()
        try await broker.shutdown()

        broker = try await startBroker(directory)
        let snapshot = try await broker.snapshot(.all)
        #expect(snapshot.policies.map(\.name).sorted() == ["ae", "dlx"])
        #expect(snapshot.policies.first { $0.name == "dlx" } == Self.dlx)
        #expect(snapshot.operatorPolicies == [Self.cap])
        let kept = try #require(snapshot.queues.first { $0.name == "kept.one" })
        #expect(kept.policy == "dlx" && kept.operatorPolicy == "cap")
        #expect(kept.effectivePolicy["max-length"]?.int64Value == 2)
        #expect(snapshot.exchanges.first { $0.name == "front" }?.policy == "ae")

        connection = try await connect(broker)
        channel = try await connection.openChannel()
        for n in 0..<4 {
            try await channel.publish(ByteBuffer(string: "k\(n)"), routingKey: "kept.one", properties: persistent)
        }
        _ = try await channel.queueDeclare("kept.two", durable: true)
        for n in 0..<3 { try await channel.publish(ByteBuffer(string: "t\(n)"), routingKey: "kept.two") }
        try await channel.publish(ByteBuffer(string: "unroutable"), exchange: "front", routingKey: "nowhere")
        #expect(try await channel.queueDeclare("kept.one", passive: true).messageCount == 2)
        #expect(try await channel.queueDeclare("kept.two", passive: true).messageCount == 2)
        let dead = try await drain(channel, "dead.q").map { String(buffer: $0.body) }
        #expect(dead == ["k0", "k1", "t0", "unroutable"])
        try? await connection.close()
        try await broker.shutdown()
    }
}
