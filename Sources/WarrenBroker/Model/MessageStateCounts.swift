/// How many ready messages a classic queue holds in each of rabbit_variable_queue's states:
/// alpha (message and position in RAM), beta (message on disk, position in RAM), gamma (message
/// on disk, position in RAM and on disk) and delta (both only on disk).
struct MessageStateCounts: Equatable, Sendable {
    var alpha = 0
    var beta = 0
    var gamma = 0
    var delta = 0

    var total: Int { alpha + beta + gamma + delta }

    static func + (lhs: MessageStateCounts, rhs: MessageStateCounts) -> MessageStateCounts {
        MessageStateCounts(alpha: lhs.alpha + rhs.alpha, beta: lhs.beta + rhs.beta, gamma: lhs.gamma + rhs.gamma,
                           delta: lhs.delta + rhs.delta)
    }
}

extension InMemoryQueueStorage {
    /// Exact counts. This storage keeps every message in RAM (persistent ones are on disk as
    /// well, which RabbitMQ still counts as alpha); nothing pages out, so all are alpha.
    var stateCounts: MessageStateCounts { MessageStateCounts(alpha: count) }
}

extension BrokerQueue {
    /// Exact per-state counts of the ready messages, over every priority level.
    var messageStates: MessageStateCounts {
        storage.reduce(MessageStateCounts()) { $0 + $1.stateCounts }
    }
}
