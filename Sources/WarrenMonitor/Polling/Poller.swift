import Foundation

/// Polls one source on a schedule into snapshots. Never runs two polls of its source at once: a
/// caller asking while a poll runs gets that poll's result. On failure it keeps the last good
/// snapshot, reports the error and retries with backoff. The next poll never starts sooner than
/// three times the last one took, so a slow broker is not polled harder the slower it gets.
public actor Poller {
    public nonisolated let source: any MonitorSource
    private var schedule: PollSchedule
    private var explicitInterval: Bool
    private var inFlight: Task<MonitorStatus, Never>?
    private var focus: PollFocus?
    /// The last good poll's state: a large broker's queue inventory is carried from it.
    private var lastState: BrokerState?

    /// `interval` `nil` picks the default for the broker once the first snapshot shows what it is.
    public init(source: any MonitorSource, interval: TimeInterval? = nil, maximumBackoff: TimeInterval = 60) {
        self.source = source
        schedule = PollSchedule(interval: interval ?? 5, maximumBackoff: maximumBackoff)
        explicitInterval = interval != nil
    }

    public var status: MonitorStatus { schedule.status }
    public var interval: TimeInterval { schedule.interval }

    /// What the screen shows now. A change brings the next poll forward (within the limit the
    /// last poll's duration sets), so a new sort or filter gets its statistics soon.
    public func setFocus(_ focus: PollFocus?) {
        guard focus != self.focus else { return }
        self.focus = focus
        schedule.bringForward(at: Date())
    }

    /// Polls now (or joins the poll already running) and returns the resulting status.
    public func poll() async -> MonitorStatus {
        if let inFlight { return await inFlight.value }
        guard schedule.start() else { return schedule.status }
        let source = self.source
        let previous = schedule.status.snapshot
        let focus = self.focus
        let lastState = self.lastState
        let task = Task { () -> MonitorStatus in
            let started = Date()
            do {
                let state = try await source.fetch(focus: focus, previous: lastState)
                let snapshot = Snapshot(state: state, source: source.description, takenAt: Date(), previous: previous)
                return self.finish(.success((state, snapshot)), started: started)
            } catch {
                return self.finish(.failure(MonitorError.from(error)), started: started)
            }
        }
        inFlight = task
        return await task.value
    }

    private func finish(_ result: Result<(BrokerState, Snapshot), MonitorError>, started: Date) -> MonitorStatus {
        inFlight = nil
        let now = Date()
        switch result {
        case .success(let (state, snapshot)):
            if !explicitInterval {
                schedule.interval = PollSchedule.defaultInterval(
                    broker: snapshot.overview.broker, queueCount: snapshot.overview.objectTotals["queues"] ?? 0)
            }
            lastState = state
            _ = schedule.succeeded(snapshot, at: now, duration: now.timeIntervalSince(started))
        case .failure(let error):
            _ = schedule.failed(error, at: now, duration: now.timeIntervalSince(started))
        }
        return schedule.status
    }

    /// Statuses as they come: one per poll, polling on schedule (with backoff after failures)
    /// until the consumer stops iterating or its task is cancelled.
    public nonisolated func updates() -> AsyncStream<MonitorStatus> {
        AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled {
                    let status = await self.poll()
                    continuation.yield(status)
                    // Short naps rather than one sleep: a new focus may bring the next poll forward.
                    while !Task.isCancelled {
                        let due = await self.status.nextPollAt ?? Date()
                        let delay = due.timeIntervalSinceNow
                        if delay <= 0 { break }
                        try? await Task.sleep(for: .milliseconds(Int(min(delay, 0.1) * 1000) + 1))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
