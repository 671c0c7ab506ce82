import NIOCore
import Synchronization

/// What a channel's public handle and the connection handler both need to read: whether the
/// channel still works, and the publish sequence numbers of confirm mode.
final class ChannelShared: Sendable {
    struct State {
        var closedError: AMQPClientError?
        var confirmMode = false
        var nextPublishSequence: UInt64 = 1
        /// Set on the event loop after each ack or nack, before any waiter is resumed.
        var confirmProgress = AMQPConfirmProgress()
    }

    let state = Mutex(State())
}

/// A request that waits for the broker's answer on one channel.
struct PendingRPC {
    /// The (class id, method id) pairs that answer it.
    var answers: [(UInt16, UInt16)]
    var promise: EventLoopPromise<Command>
    /// For `basic.consume`: where deliveries go once `consume-ok` names the consumer tag.
    var consumer: EventSink<AMQPDelivery>?

    func isAnswered(by method: AMQPMethod) -> Bool {
        answers.contains { $0.0 == method.classID && $0.1 == method.methodID }
    }
}

enum ConfirmWaiter {
    case single(EventLoopPromise<AMQPConfirmation>)
    case batch(EventLoopPromise<AMQPConfirmSummary>)
}

/// The connection handler's bookkeeping for one open channel. Lives on the event loop.
final class ChannelRecord {
    enum Phase {
        case opening
        case open
        /// This client sent `channel.close`; everything but `close-ok` (and `close`) is discarded.
        case closing
    }

    let id: UInt16
    let shared: ChannelShared
    var phase: Phase = .opening
    var pendingRPCs = CircularBuffer<PendingRPC>()
    var consumers: [String: EventSink<AMQPDelivery>] = [:]
    var confirms = ConfirmTracker<ConfirmWaiter>()
    let returns: AsyncStream<AMQPReturnedMessage>.Continuation
    /// Set by ``AMQPChannel/publisherEvents()``: returns and confirms in wire order.
    var publisherEvents: EventSink<AMQPPublisherEvent>?
    var closePromise: EventLoopPromise<Void>?

    init(id: UInt16, shared: ChannelShared, returns: AsyncStream<AMQPReturnedMessage>.Continuation) {
        self.id = id
        self.shared = shared
        self.returns = returns
    }

    /// Makes the confirm tracker's progress readable off the loop (before waiters resume).
    func publishConfirmProgress() {
        let progress = AMQPConfirmProgress(settledThrough: confirms.settledThrough, nacks: confirms.nackCount)
        shared.state.withLock { $0.confirmProgress = progress }
    }

    /// Fails or finishes everything that waits on this channel. `error` is `nil` for a clean close.
    func tearDown(_ error: AMQPClientError?) {
        let failure = error ?? .channelClosed
        shared.state.withLock { $0.closedError = failure }
        while let rpc = pendingRPCs.popFirst() {
            rpc.promise.fail(failure)
            rpc.consumer?.finish(failure)
        }
        for consumer in consumers.values { consumer.finish(error) }
        consumers = [:]
        for waiter in confirms.removeAllWaiters() {
            switch waiter {
            case .single(let promise): promise.fail(failure)
            case .batch(let promise): promise.fail(failure)
            }
        }
        returns.finish()
        publisherEvents?.finish(error)
        publisherEvents = nil
        if let closePromise {
            if let error { closePromise.fail(error) } else { closePromise.succeed() }
            self.closePromise = nil
        }
    }
}
