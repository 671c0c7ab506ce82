import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

@Suite("Snapshot of a live RabbitMQ 3.10.8 node", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct SnapshotTests {
    @Test func snapshotMatchesWhatWasDeclared() async throws {
        let base = Live.unique("snap")
        let (exchange, work, dlx, dlq) = (base + ".x", base + ".work", base + ".dlx", base + ".dlq")
        let connection = try await AMQPConnection.connect(to: Live.amqpURL!)
        defer { Task { try? await connection.close() } }
        let channel = try await connection.openChannel()
        try await channel.exchangeDeclare(exchange, type: "topic")
        try await channel.exchangeDeclare(dlx, type: "fanout")
        _ = try await channel.queueDeclare(work, arguments: ["x-dead-letter-exchange": .string(dlx)])
        _ = try await channel.queueDeclare(dlq)
        try await channel.queueBind(work, exchange: exchange, routingKey: "jobs.#")
        try await channel.queueBind(dlq, exchange: dlx, routingKey: "")
        for n in 0..<25 { try await channel.publish(ByteBuffer(string: "job \(n)"), exchange: exchange, routingKey: "jobs.a") }
        for _ in 0..<3 {
            let got = try #require(try await channel.get(work))
            try await channel.reject(deliveryTag: got.message.deliveryTag, requeue: false)
        }
        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.qos(prefetchCount: 7)
        _ = try await consumerChannel.consume(dlq, consumerTag: base + ".tag")

        let poller = Poller(source: try Live.management(), interval: 1)
        let snapshot = try await Live.eventually("the statistics to show 22 messages in \(work)") { () -> Snapshot? in
            let status = await poller.poll()
            if let error = status.error { throw error }
            guard let snapshot = status.snapshot, snapshot.queue(work)?.messages == 22,
                  snapshot.consumers.contains(where: { $0.consumerTag == base + ".tag" }) else { return nil }
            return snapshot
        }
        #expect(snapshot.overview.broker == BrokerIdentity(product: .rabbitmq, version: "3.10.8"))
        #expect(snapshot.cluster.runningNodes.contains(Live.environment["WARREN_RABBITMQ_NODE"] ?? ""))
        let queue = try #require(snapshot.queue(work))
        #expect(queue.type == "classic" && !queue.durable)
        #expect(queue.arguments["x-dead-letter-exchange"] == .string(dlx))
        #expect(snapshot.exchanges.contains { $0.name == exchange && $0.type == "topic" })
        #expect(snapshot.bindings.contains { $0.source == exchange && $0.destination == work && $0.routingKey == "jobs.#" })
        let dead = try #require(snapshot.deadLetters.queue(QueueID(name: dlq)))
        #expect(dead.sources == [QueueID(name: work)])
        #expect(snapshot.consumers.first { $0.consumerTag == base + ".tag" }?.prefetchCount == 7)
        #expect(snapshot.connections.count >= 1)
        let states = try #require(snapshot.messageStates[queue.id])
        #expect(states.precision == .classicQueues)
        #expect((states.alpha ?? 0) + (states.betaGamma ?? 0) + (states.delta ?? 0) == 22)
        // The second poll turns counters into rates (from the API here).
        #expect(snapshot.queueRates[queue.id]?.publish != nil)

        _ = try await channel.queueDelete(work)
        _ = try await channel.queueDelete(dlq)
        try await channel.exchangeDelete(exchange)
        try await channel.exchangeDelete(dlx)
    }

    /// Paging is by position, so it runs in a vhost of its own where no other suite adds or
    /// deletes queues between the page requests.
    @Test func pagedAndTrimmedPolling() async throws {
        let vhost = Live.unique("paged-vhost")
        _ = try await Live.ctl("add_vhost", vhost)
        _ = try await Live.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        // amqp://user:pass@host:port/ + the vhost's name (which needs no percent-encoding).
        let url = Live.amqpURL!.split(separator: "/", omittingEmptySubsequences: false).prefix(3)
            .joined(separator: "/") + "/" + vhost
        let names = (0..<3).map { _ in Live.unique("page") }
        try await Live.withChannel(url) { channel in for name in names { _ = try await channel.queueDeclare(name) } }
        let source = try ManagementSource(url: Live.managementURL!, options: ManagementOptions(
            pageSize: 1, queueColumns: ManagementOptions.tableColumns, disableStats: true, vhost: vhost))
        let state = try await source.fetch()
        #expect(Set(state.queues.map(\.name)) == Set(names))
        _ = try await Live.ctl("delete_vhost", vhost)
    }

    @Test func amqpOnlySource() async throws {
        let name = Live.unique("amqp-only")
        try await Live.withChannel { channel in
            _ = try await channel.queueDeclare(name)
            for _ in 0..<4 { try await channel.publish(ByteBuffer(string: "x"), routingKey: name) }
        }
        let source = try AMQPSource(url: Live.amqpURL!, queues: [name, name + ".missing"])
        let poller = Poller(source: source, interval: 1)
        let status = await poller.poll()
        await source.close()
        let snapshot = try #require(status.snapshot)
        #expect(snapshot.queue(name)?.messages == 4)
        #expect(snapshot.gaps.contains { $0.contains("missing") })
        _ = try await Live.drain(name)
    }

    @Test func unreachableBrokerIsReportedAsSuch() async throws {
        let poller = Poller(source: try ManagementSource(url: "http://guest:guest@127.0.0.1:1/",
                                                         options: ManagementOptions(timeout: .seconds(2))),
                            interval: 1)
        let status = await poller.poll()
        #expect(status.snapshot == nil)
        guard case .unreachable = status.error else { Issue.record("expected unreachable, got \(String(describing: status.error))"); return }
    }
}
