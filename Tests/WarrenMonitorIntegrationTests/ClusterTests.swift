import Foundation
import NIOCore
import Testing
import WarrenClient
@testable import WarrenMonitor

/// The 3-node cluster scripts/test starts (scripts/rabbitmq-node start-cluster).
enum LiveCluster {
    static func list(_ name: String) -> [String] {
        (ProcessInfo.processInfo.environment[name] ?? "").split(separator: " ").map(String.init)
    }

    static let urls = list("WARREN_RABBITMQ_CLUSTER_URLS")
    static let managementURLs = list("WARREN_RABBITMQ_CLUSTER_MANAGEMENT_URLS")
    static let nodes = list("WARREN_RABBITMQ_CLUSTER_NODES")
    static let ctls = list("WARREN_RABBITMQ_CLUSTER_CTLS")
    static let isAvailable = urls.count >= 3 && managementURLs.count == urls.count && ctls.count == urls.count
}

@Suite("A 3-node RabbitMQ cluster", .serialized, .disabled(if: !LiveCluster.isAvailable, "no cluster (scripts/test starts one)"))
struct ClusterTests {
    @Test func quorumReplicasAndANodeGoingDown() async throws {
        let queue = Live.unique("cluster-qq")
        try await Live.withChannel(LiveCluster.urls[0]) { channel in
            _ = try await channel.queueDeclare(queue, durable: true, arguments: ["x-queue-type": .string("quorum")])
        }
        let poller = Poller(source: try ManagementSource(url: LiveCluster.managementURLs[0]), interval: 1)
        let healthy = try await Live.eventually("3 running nodes and 3 online replicas") { () -> Snapshot? in
            let status = await poller.poll()
            guard let snapshot = status.snapshot, status.error == nil,
                  Set(snapshot.cluster.runningNodes) == Set(LiveCluster.nodes),
                  let replicas = snapshot.cluster.quorumQueues.first(where: { $0.queue.name == queue }),
                  replicas.online.count == 3 else { return nil }
            return snapshot
        }
        let replicas = try #require(healthy.cluster.quorumQueues.first { $0.queue.name == queue })
        #expect(Set(replicas.members) == Set(LiveCluster.nodes))
        #expect(LiveCluster.nodes.contains(replicas.leader ?? ""))
        #expect(healthy.cluster.alarms.isEmpty && healthy.cluster.partitions.isEmpty)

        // The last node goes down; the first still answers, and says so.
        let down = LiveCluster.nodes[2]
        try await Live.ctl("stop_app", wrapper: LiveCluster.ctls[2])
        do {
            let degraded = try await Live.eventually("\(down) shown as not running", seconds: 60) { () -> Snapshot? in
                let status = await poller.poll()
                guard let snapshot = status.snapshot, status.error == nil,
                      snapshot.cluster.stoppedNodes == [down],
                      let replicas = snapshot.cluster.quorumQueues.first(where: { $0.queue.name == queue }),
                      !replicas.online.contains(down) else { return nil }
                return snapshot
            }
            let after = try #require(degraded.cluster.quorumQueues.first { $0.queue.name == queue })
            #expect(after.offline == [down])
            #expect(after.hasQuorum)
            #expect(degraded.cluster.runningNodes.count == 2)
        } catch {
            _ = try? await Live.ctl("start_app", wrapper: LiveCluster.ctls[2])
            throw error
        }
        try await Live.ctl("start_app", wrapper: LiveCluster.ctls[2])
        try await Live.withChannel(LiveCluster.urls[0]) { _ = try await $0.queueDelete(queue) }
    }
}
