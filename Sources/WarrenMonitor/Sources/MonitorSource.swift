/// Something that can be polled for a broker's state: the management HTTP API, or AMQP alone.
public protocol MonitorSource: Sendable {
    /// Names the source for people, without credentials (e.g. `management http://host:15672/`).
    var description: String { get }
    /// Fetches the broker's state once. Must be safe to call again after a failure.
    func fetch() async throws -> BrokerState
    /// Fetches what `focus` needs, knowing the previous poll's state (a large broker's queue
    /// inventory is read again only now and then). Sources without a plan fetch everything.
    func fetch(focus: PollFocus?, previous: BrokerState?) async throws -> BrokerState
}

extension MonitorSource {
    public func fetch(focus: PollFocus?, previous: BrokerState?) async throws -> BrokerState {
        try await fetch()
    }
}
