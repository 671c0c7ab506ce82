import Foundation

/// A thread of its own for CPU-heavy tests. Swift concurrency shares as many threads as the
/// machine has cores (two in CI) among all the tests of the run; seconds of computation there
/// delay every test that waits on a socket or a timer, and those time out. A test body run with
/// `withTaskExecutorPreference(DedicatedThread.shared)` computes here instead, as the same task
/// (so `#expect` still reports to its test), and the operating system shares the cores fairly.
final class DedicatedThread: TaskExecutor, @unchecked Sendable {
    static let shared = DedicatedThread()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// The thread's pthread, to tell whether code runs on it.
    private(set) nonisolated(unsafe) var pthread: pthread_t?

    var isCurrent: Bool { pthread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    private init() {
        let thread = Thread { [unowned self] in
            pthread = pthread_self()
            run()
        }
        thread.name = "warren-tests-heavy"
        thread.start()
    }

    func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

import Testing

@Suite struct DedicatedThreadTests {
    static func onDedicatedThread() -> Bool { DedicatedThread.shared.isCurrent }

    /// The heavy tests rely on this: their synchronous work runs on the dedicated thread.
    @Test func workPreferringItRunsOnIt() async {
        #expect(Self.onDedicatedThread() == false)
        let there = await withTaskExecutorPreference(DedicatedThread.shared) { Self.onDedicatedThread() }
        #expect(there)
    }
}
