import Foundation

/// Polls one source on a schedule into snapshots. Never runs two polls of its source at once: a
/// caller asking while a poll runs gets that poll's result. On failure it keeps the last good
/// snapshot, reports the error and retries with backoff.
public actor Poller {
    public nonisolated let source: any MonitorSource
    private var schedule: PollSchedule
    private var explicitInterval: Bool
    private var inFlight: Task<MonitorStatus, Never>?

    /// `interval` `nil` picks the default for the broker once the first snapshot shows what it is.
    public init(source: any MonitorSource, interval: TimeInterval? = nil, maximumBackoff: TimeInterval = 60) {
        self.source = source
        schedule = PollSchedule(interval: interval ?? 5, maximumBackoff: maximumBackoff)
        explicitInterval = interval != nil
    }

    public var status: MonitorStatus { schedule.status }
    public var interval: TimeInterval { schedule.interval }

    /// Polls now (or joins the poll already running) and returns the resulting status.
    public func poll() async -> MonitorStatus {
        if let inFlight { return await inFlight.value }
        guard schedule.start() else { return schedule.status }
        let source = self.source
        let previous = schedule.status.snapshot
        let task = Task { () -> MonitorStatus in
            do {
                let state = try await source.fetch()
                let snapshot = Snapshot(state: state, source: source.description, takenAt: Date(), previous: previous)
                return self.finish(.success(snapshot))
            } catch {
                return self.finish(.failure(MonitorError.from(error)))
            }
        }
        inFlight = task
        return await task.value
    }

    private func finish(_ result: Result<Snapshot, MonitorError>) -> MonitorStatus {
        inFlight = nil
        switch result {
        case .success(let snapshot):
            if !explicitInterval {
                schedule.interval = PollSchedule.defaultInterval(productName: snapshot.overview.productName)
            }
            _ = schedule.succeeded(snapshot, at: Date())
        case .failure(let error):
            _ = schedule.failed(error, at: Date())
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
                    let delay = max(0.01, (status.nextPollAt ?? Date()).timeIntervalSinceNow)
                    try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
