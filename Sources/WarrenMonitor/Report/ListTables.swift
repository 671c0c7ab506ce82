import Foundation

/// One queue as `warren queues` lists it (and as `--json` writes it).
public struct QueueListing: Sendable, Hashable, Encodable {
    public var vhost, name, type: String
    public var messages, ready, unacked, consumers: Int?
    public var publishRate, deliverRate, depthRate: Rate?
    public var messageStates: MessageStates?
    public var deadLetterQueue: Bool
    public var deadLetterSources: [String]
    public var leader: String?
    public var members, online: [String]?
}

/// What the list commands print: built from a snapshot alone, whichever broker it came from.
public enum ListTables {
    /// Every queue, by vhost and name (lazily: a large broker's list is not held twice).
    public static func queueListings(_ snapshot: Snapshot) -> some Sequence<QueueListing> {
        snapshot.queues.indices.sorted { snapshot.queues[$0].id < snapshot.queues[$1].id }.lazy.map { index in
            let q = snapshot.queues[index]
            let dlq = snapshot.deadLetters.queue(q.id)
            let rates = snapshot.queueRates[q.id]
            return QueueListing(vhost: q.vhost, name: q.name, type: q.type, messages: q.messages, ready: q.messagesReady,
                                unacked: q.messagesUnacknowledged, consumers: q.consumers, publishRate: rates?.publish,
                                deliverRate: rates?.deliver, depthRate: rates?.depth,
                                messageStates: snapshot.messageStates[q.id], deadLetterQueue: dlq != nil,
                                deadLetterSources: dlq?.sources.map(\.description) ?? [], leader: q.leader,
                                members: q.members, online: q.online)
        }
    }

    public static func queues(_ listings: some Sequence<QueueListing>) -> TextTable {
        var table = TextTable(headers: ["VHOST", "NAME", "TYPE", "MESSAGES", "READY", "UNACKED", "CONSUMERS",
                                        "IN/S", "OUT/S", "STATES", "DLQ"], numeric: [3, 4, 5, 6, 7, 8])
        for row in listings {
            table.rows.append([row.vhost, row.name, row.type, TextFormat.count(row.messages), TextFormat.count(row.ready),
                               TextFormat.count(row.unacked), TextFormat.count(row.consumers),
                               TextFormat.rate(row.publishRate), TextFormat.rate(row.deliverRate),
                               describe(row.messageStates),
                               row.deadLetterQueue ? (row.deadLetterSources.isEmpty ? "yes (name)"
                                   : "<- " + row.deadLetterSources.joined(separator: ",")) : ""])
        }
        return table
    }

    /// The STATES column: what the broker really reports of where a queue's messages are.
    static func describe(_ states: MessageStates?) -> String {
        guard let states else { return "-" }
        switch states.precision {
        case .exact:
            return "a\(states.alpha ?? 0) b\(states.beta ?? 0) g\(states.gamma ?? 0) d\(states.delta ?? 0)"
        case .classicQueues:
            return "a\(states.alpha ?? 0) b+g\(states.betaGamma ?? 0) d\(states.delta ?? 0)"
        case .ramVersusPagedOut, .quorumInMemory:
            return "ram\(states.inMemory ?? 0) disk\(states.notInMemory ?? 0)"
        case .segmentFiles:
            return "mmap ready \(TextFormat.bytes(states.readyBytes)) unacked \(TextFormat.bytes(states.unackedBytes))"
        case .unknown:
            return "-"
        }
    }

    public static func exchanges(_ snapshot: Snapshot) -> TextTable {
        var bindings: [String: Int] = [:]
        for binding in snapshot.bindings { bindings[binding.vhost + "\u{0}" + binding.source, default: 0] += 1 }
        var table = TextTable(headers: ["VHOST", "NAME", "TYPE", "DURABLE", "BINDINGS"], numeric: [4])
        for e in snapshot.exchanges.sorted(by: { ($0.vhost, $0.name) < ($1.vhost, $1.name) }) {
            table.rows.append([e.vhost, e.name.isEmpty ? "(default)" : e.name, e.type, e.durable ? "yes" : "no",
                               String(bindings[e.vhost + "\u{0}" + e.name] ?? 0)])
        }
        return table
    }

    public static func consumers(_ snapshot: Snapshot) -> TextTable {
        var table = TextTable(headers: ["QUEUE", "TAG", "ACK", "PREFETCH", "ACTIVE", "CONNECTION"], numeric: [3])
        for c in snapshot.consumers.sorted(by: { ($0.queue, $0.consumerTag) < ($1.queue, $1.consumerTag) }) {
            table.rows.append([c.queue.description, c.consumerTag, c.ackRequired ? "manual" : "auto",
                               TextFormat.count(c.prefetchCount), c.active ? "yes" : "no", c.connectionName ?? "-"])
        }
        return table
    }

    /// Nodes, with memory and disk for people (`--json` keeps the bytes); then the quorum queues'
    /// replicas, when there are any.
    public static func nodes(_ snapshot: Snapshot) -> [TextTable] {
        var table = TextTable(headers: ["NODE", "RUNNING", "MEM USED", "MEM LIMIT", "DISK FREE", "ALARMS", "PARTITIONS"],
                              numeric: [2, 3, 4])
        for n in snapshot.cluster.nodes.sorted(by: { $0.name < $1.name }) {
            let alarms = snapshot.cluster.alarms.filter { $0.node == n.name }.map(\.kind.rawValue)
            table.rows.append([n.name, n.running ? "yes" : "NO", TextFormat.bytes(n.memoryUsed),
                               TextFormat.bytes(n.memoryLimit), TextFormat.bytes(n.diskFree), alarms.joined(separator: ","),
                               n.partitions.joined(separator: ",")])
        }
        guard !snapshot.cluster.quorumQueues.isEmpty else { return [table] }
        var quorum = TextTable(headers: ["QUORUM QUEUE", "LEADER", "MEMBERS", "OFFLINE"])
        for q in snapshot.cluster.quorumQueues {
            quorum.rows.append([q.queue.description, q.leader ?? "-", q.members.joined(separator: ","),
                                q.offline.joined(separator: ",")])
        }
        return [table, quorum]
    }
}
