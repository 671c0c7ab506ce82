import Foundation
import Synchronization
import WarrenDashboard
import WarrenMonitor

/// Runs the reducer's effects (peek, replay, purge) as tasks that post their results.
final class Actions: Sendable {
    let options: DashboardOptions
    let mailbox: Mailbox
    let poller: Poller
    private let replayTask = Mutex<Task<Void, Never>?>(nil)
    /// Running replays by task number: they outlive their dialog.
    private let replayTasks = Mutex<[Int: Task<Void, Never>]>([:])
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(options: DashboardOptions, mailbox: Mailbox, poller: Poller) {
        self.options = options
        self.mailbox = mailbox
        self.poller = poller
    }

    /// Tells the poller what the screen shows now (see ``PollFocus``).
    func focus(_ focus: PollFocus) {
        let poller = self.poller
        // Not kept in `tasks`: it ends at once, and the selection moves it with every key.
        Task { await poller.setFocus(focus) }
    }

    func perform(_ effect: Effect, state: ViewState) {
        let mailbox = self.mailbox
        switch effect {
        case .peek(let queue, let count):
            let info = state.snapshot?.queue(queue.name, vhost: queue.vhost)
            guard let url = amqpURL(for: queue) else {
                return mailbox.post(.peeked(queue, .failure(.failed("peek needs an AMQP URL (--amqp)"))))
            }
            // Warren's embedded broker peeks through its management API without side effects.
            let management = options.source as? ManagementSource
            start {
                do throws(MonitorError) {
                    let result = try await Peek.run(amqpURL: url, queue: queue.name, count: count, queueInfo: info,
                                                    management: management)
                    mailbox.post(.peeked(queue, .success(result)))
                } catch {
                    mailbox.post(.peeked(queue, .failure(error)))
                }
            }
        case .planReplay(let queue):
            guard let url = amqpURL(for: queue) else {
                return mailbox.post(.replayFailed("replay needs an AMQP URL (--amqp)"))
            }
            let management = options.source as? ManagementSource
            let filters = state.replay?.filters ?? []
            let task = Task {
                do throws(MonitorError) {
                    var report = try await Replay.run(
                        amqpURL: url, queue: queue.name,
                        options: ReplayOptions(target: .origin, filters: filters, dryRun: true))
                    if let management {
                        do {
                            report.planWarnings = try await ReplayPlanCheck.warnings(for: report, dlq: queue,
                                                                                     management: management)
                        } catch {
                            report.warnings.append("the plan could not check its targets: \(MonitorError.from(error))")
                        }
                    }
                    mailbox.post(.replay(.finished(report)))
                } catch {
                    mailbox.post(.replayFailed(error.description))
                }
            }
            replayTask.withLock { $0 = task }
        case .startReplay(let queue, let id):
            guard let url = amqpURL(for: queue) else {
                return mailbox.post(.taskFailed(id, "replay needs an AMQP URL (--amqp)"))
            }
            let poller = self.poller
            let filters = state.replay?.filters ?? []
            let task = Task {
                do throws(MonitorError) {
                    let report = try await Replay.run(
                        amqpURL: url, queue: queue.name, options: ReplayOptions(target: .origin, filters: filters)
                    ) { progress in
                        mailbox.post(.task(id, .progress(progress)))
                    }
                    mailbox.post(.task(id, .finished(report)))
                } catch {
                    mailbox.post(.taskFailed(id, error.description))
                }
                mailbox.post(.status(await poller.poll()))
            }
            replayTasks.withLock { $0[id] = task }
        case .cancelReplay:
            replayTask.withLock { $0?.cancel() }
        case .cancelTask(let id):
            // Cancelling the task makes the replay settle its messages in flight, then report.
            replayTasks.withLock { $0[id]?.cancel() }
        case .purge(let queue):
            guard let url = amqpURL(for: queue) else {
                return mailbox.post(.purged(queue, .failure(.failed("purge needs an AMQP URL (--amqp)"))))
            }
            let poller = self.poller
            start {
                do throws(MonitorError) {
                    let count = try await QueueActions.purge(amqpURL: url, queue: queue.name)
                    mailbox.post(.purged(queue, .success(count)))
                } catch {
                    mailbox.post(.purged(queue, .failure(error)))
                }
                mailbox.post(.status(await poller.poll()))
            }
        case .save(let queue, let count, let path, let filters):
            guard let url = amqpURL(for: queue) else {
                return mailbox.post(.saved(queue, .failure(.failed("saving needs an AMQP URL (--amqp)"))))
            }
            let info = state.snapshot?.queue(queue.name, vhost: queue.vhost)
            start {
                do throws(MonitorError) {
                    let report = try await Export.run(amqpURL: url, queue: queue.name, to: path,
                                                      options: ExportOptions(limit: count, filters: filters),
                                                      queueInfo: info)
                    mailbox.post(.saved(queue, .success(report)))
                } catch {
                    mailbox.post(.saved(queue, .failure(error)))
                }
            }
        case .prepareEdit(let queue, let digest, let messageID, let within):
            prepareEdit(queue, digest: digest, messageID: messageID, within: within)
        case .prepareCompose(let vhost):
            prepareCompose(vhost: vhost)
        case .send(let session, let message):
            send(session, message)
        case .quit, .loadTheme, .openEditor, .bell:
            break
        }
    }

    func start(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        tasks.withLock { $0.append(task) }
    }

    func cancelAll() {
        replayTask.withLock { $0?.cancel() }
        replayTasks.withLock { for task in $0.values { task.cancel() } }
        tasks.withLock { for task in $0 { task.cancel() } }
    }

    /// The AMQP URL with its virtual host replaced by the queue's.
    func amqpURL(for queue: QueueID) -> String? {
        guard let url = options.amqpURL else { return nil }
        guard var components = URLComponents(string: url) else { return url }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        components.percentEncodedPath = "/" + (queue.vhost.addingPercentEncoding(withAllowedCharacters: allowed) ?? queue.vhost)
        return components.string ?? url
    }
}
