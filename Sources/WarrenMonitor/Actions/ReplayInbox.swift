import NIOCore
import Synchronization
import WarrenClient

/// Where the replay's event sources (consumer, confirms, ticks, cancel) leave their events for
/// the engine's single loop, in two lanes.
///
/// Confirms, ticks and cancel go first: a confirm turns into an ack that frees the prefetch
/// window, so it must not wait behind a window's worth of deliveries (with `--rate`, that wait
/// would be long, and every message confirmed but not yet acked would be a duplicate after a
/// crash). Deliveries and the end of the deliveries keep their own order in the other lane. The
/// loop takes what has piled up in one go, which also spares a thread hop per message.
final class ReplayInbox: Sendable {
    private struct State {
        var urgent: [ReplayEngine.Event] = []
        var deliveries = CircularBuffer<ReplayEngine.Event>()
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// The most deliveries handed over at once, so confirms that arrive meanwhile are not kept
    /// waiting long.
    private let batch = 64

    func post(_ event: ReplayEngine.Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch event {
            case .delivery, .sourceEmpty, .deliveriesEnded: state.deliveries.append(event)
            default: state.urgent.append(event)
            }
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Waits until something is there; returns the urgent events, then at most a batch of deliveries.
    func next() async -> [ReplayEngine.Event] {
        while true {
            if let events = take() { return events }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !state.urgent.isEmpty || !state.deliveries.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    private func take() -> [ReplayEngine.Event]? {
        state.withLock { state in
            guard !state.urgent.isEmpty || !state.deliveries.isEmpty else { return nil }
            var events = state.urgent
            state.urgent = []
            let count = min(batch, state.deliveries.count)
            events.reserveCapacity(events.count + count)
            for _ in 0..<count { events.append(state.deliveries.removeFirst()) }
            return events
        }
    }
}
