import WarrenMonitor

extension ViewState {
    /// The peeked messages of a queue that its message filter lets through, in peek order.
    public func visibleMessages(_ queue: QueueID) -> [MessageView] {
        let messages = peeks[queue]?.messages ?? []
        guard let filter = messageFilters[queue], !filter.filters.isEmpty else { return messages }
        let body = filter.filters.contains(where: \.readsBody)
        return messages.filter { message in
            let facts = MessageFacts(message, body: body)
            return filter.filters.allSatisfy { $0.matches(facts, now: now) }
        }
    }

    /// A queue's peeked messages grouped by cause (see ``Triage``).
    public func causeGroups(_ queue: QueueID) -> [TriageGroup] {
        Triage.group((peeks[queue]?.messages ?? []).map { MessageFacts($0, body: false) })
    }
}
