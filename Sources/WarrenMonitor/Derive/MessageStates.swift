/// How far a queue's message-state figures can be trusted: every breakdown says what it really is.
public enum MessageStatePrecision: String, Sendable, Hashable, Codable {
    /// Exact alpha, beta, gamma and delta counts (Warren's embedded broker tracks each message).
    case exact
    /// RabbitMQ <= 3.11 classic queue: alpha = q1 + q4 and delta are exact, beta and gamma are
    /// only known together (q2 + q3).
    case classicQueues
    /// Messages in RAM vs paged out to disk only (RabbitMQ 3.12+ classic queues, where the
    /// alpha..delta model no longer exists, or any broker that gives no backing-queue figures).
    case ramVersusPagedOut
    /// Quorum queue: message bodies held in memory vs not (Raft log and segments on disk).
    case quorumInMemory
    /// LavinMQ: every message is in memory-mapped segment files, so there are no states to
    /// tell apart; what it reports instead is the bytes ready and unacked, and the persistent count.
    case segmentFiles
    /// Streams, or a response that had none of these fields (paged or column-trimmed).
    case unknown
}

/// Where a queue's ready messages are, with the precision of the figures.
public struct MessageStates: Sendable, Hashable, Codable {
    public var precision: MessageStatePrecision
    public var alpha: Int?
    public var beta: Int?
    public var gamma: Int?
    /// beta + gamma, for when they cannot be told apart.
    public var betaGamma: Int?
    public var delta: Int?
    public var inMemory: Int?
    public var notInMemory: Int?
    /// ``MessageStatePrecision/segmentFiles`` only.
    public var readyBytes: Int?
    public var unackedBytes: Int?
    public var persistent: Int?

    public init(precision: MessageStatePrecision) {
        self.precision = precision
    }

    /// Derives the breakdown of one queue on `broker` (from RabbitMQ 3.12 on the q1..q4 figures
    /// are reported as zero and say nothing; LavinMQ has no states at all).
    public static func derive(for queue: QueueInfo, broker: BrokerIdentity?) -> MessageStates {
        if broker?.product == .lavinmq {
            var states = MessageStates(precision: .segmentFiles)
            states.readyBytes = queue.messageBytesReady
            states.unackedBytes = queue.messageBytesUnacknowledged
            states.persistent = queue.messagesPersistent
            return states
        }
        if let status = queue.backingQueueStatus, let alpha = status.alpha, let delta = status.delta {
            var states = MessageStates(precision: .exact)
            states.alpha = alpha
            states.beta = status.beta ?? 0
            states.gamma = status.gamma ?? 0
            states.betaGamma = (status.beta ?? 0) + (status.gamma ?? 0)
            states.delta = delta
            states.inMemory = alpha
            states.notInMemory = (states.betaGamma ?? 0) + delta
            return states
        }
        if queue.isQuorum {
            guard let total = queue.messages, let ram = queue.messagesRAM else { return MessageStates(precision: .unknown) }
            var states = MessageStates(precision: .quorumInMemory)
            states.inMemory = ram
            states.notInMemory = max(0, total - ram)
            return states
        }
        if let status = queue.backingQueueStatus, !versionAtLeast(broker?.version, 3, 12),
           let q1 = status.q1, let q2 = status.q2, let q3 = status.q3, let q4 = status.q4
        {
            var states = MessageStates(precision: .classicQueues)
            states.alpha = q1 + q4
            states.betaGamma = q2 + q3
            states.delta = status.deltaCount ?? 0
            states.inMemory = q1 + q4
            states.notInMemory = q2 + q3 + (status.deltaCount ?? 0)
            return states
        }
        // messages_paged_out counts only the transient messages in delta, so a persistent
        // backlog on disk shows there as 0: what is not in RAM is messages - messages_ram.
        if let ram = queue.messagesRAM,
           let notInMemory = queue.messages.map({ max(0, $0 - ram) }) ?? queue.messagesPagedOut
        {
            var states = MessageStates(precision: .ramVersusPagedOut)
            states.inMemory = ram
            states.notInMemory = notInMemory
            return states
        }
        return MessageStates(precision: .unknown)
    }
}

/// True if a version string such as "3.10.8" is at least major.minor; false when unknown.
func versionAtLeast(_ version: String?, _ major: Int, _ minor: Int) -> Bool {
    guard let version else { return false }
    let parts = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
    guard parts.count >= 2 else { return false }
    return (parts[0], parts[1]) >= (major, minor)
}
