/// A resource alarm raised on a node.
public struct NodeAlarm: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case memory
        case diskFree
    }

    public var node: String
    public var kind: Kind
}

/// A quorum queue's replicas.
public struct QuorumStatus: Sendable, Hashable, Codable {
    public var queue: QueueID
    public var leader: String?
    public var members: [String]
    public var online: [String]

    /// Members that are not online.
    public var offline: [String] { members.filter { !online.contains($0) } }
    /// A quorum queue is available while a majority of its members is online.
    public var hasQuorum: Bool { online.count * 2 > members.count }
}

/// Cluster health as the monitor sees it.
public struct ClusterState: Sendable, Hashable, Codable {
    public var nodes: [NodeInfo]
    public var alarms: [NodeAlarm]
    /// Per node, the nodes it reports a network partition with.
    public var partitions: [String: [String]]
    public var quorumQueues: [QuorumStatus]

    public var runningNodes: [String] { nodes.filter(\.running).map(\.name) }
    public var stoppedNodes: [String] { nodes.filter { !$0.running }.map(\.name) }

    public init(nodes: [NodeInfo] = [], alarms: [NodeAlarm] = [], partitions: [String: [String]] = [:],
                quorumQueues: [QuorumStatus] = []) {
        self.nodes = nodes
        self.alarms = alarms
        self.partitions = partitions
        self.quorumQueues = quorumQueues
    }

    public static func derive(nodes: [NodeInfo], queues: [QueueInfo]) -> ClusterState {
        var state = ClusterState(nodes: nodes)
        for node in nodes {
            if node.memoryAlarm { state.alarms.append(NodeAlarm(node: node.name, kind: .memory)) }
            if node.diskFreeAlarm { state.alarms.append(NodeAlarm(node: node.name, kind: .diskFree)) }
            if !node.partitions.isEmpty { state.partitions[node.name] = node.partitions }
        }
        state.quorumQueues = queues.filter(\.isQuorum).map { queue in
            let members = queue.members ?? []
            return QuorumStatus(queue: queue.id, leader: queue.leader, members: members, online: queue.online ?? [])
        }
        return state
    }
}
