import Foundation
import WarrenMonitor

/// The replay dialog and the replays it starts, which run as tasks: closing the dialog leaves a
/// replay running; `T` lists them all, and any running one can be cancelled.
extension ViewState {
    mutating func replayKey(_ key: Key) -> [Effect] {
        guard let dialog = replay else { return [] }
        switch (key, dialog.phase) {
        case (.enter, .plan(let plan)), (.character("y"), .plan(let plan)):
            if !plan.planWarnings.isEmpty && !dialog.confirming {
                replay?.confirming = true
                return []
            }
            let id = (tasks.map(\.id).max() ?? 0) + 1
            let running = ReplayPhase.running(ReplayProgress(lengthAtStart: plan.progress.seen))
            tasks.append(ReplayTask(id: id, queue: dialog.queue, filters: dialog.filters, phase: running, startedAt: now))
            replay?.phase = running
            replay?.taskID = id
            return [.startReplay(dialog.queue, task: id)]
        case (.character("x"), .running(let progress)):
            guard let id = dialog.taskID else { return [] }
            replay?.phase = .cancelling(progress)
            updateTask(id) { $0.phase = .cancelling(progress) }
            return [.cancelTask(id)]
        case (.escape, .running), (.character("q"), .running), (.escape, .cancelling), (.character("q"), .cancelling):
            replay = nil
            status = "the replay of \(dialog.queue) goes on: T lists replays, x there cancels one"
            return []
        case (.escape, .planning):
            replay = nil
            return [.cancelReplay]
        case (.escape, .plan), (.escape, .finished), (.enter, .finished), (.escape, .failed), (.enter, .failed),
             (.character("q"), .plan), (.character("q"), .finished), (.character("q"), .failed):
            replay = nil
            return []
        default:
            return []
        }
    }

    /// Progress or the end of task `id`, in the task list and in the dialog if it shows that task.
    mutating func taskEvent(_ id: Int, _ event: ReplayEvent) {
        guard let task = tasks.first(where: { $0.id == id }) else { return }
        switch event {
        case .progress(let progress):
            updateTask(id) { task in
                if case .cancelling = task.phase { task.phase = .cancelling(progress) } else { task.phase = .running(progress) }
            }
        case .finished(let report):
            updateTask(id) { $0.phase = .finished(report) }
            // What was peeked has moved; a stale list would show messages no longer there.
            peeks[task.queue] = nil
            status = "replay of \(task.queue): \(report.progress.moved) moved (\(report.stop.explanation))"
        }
    }

    mutating func updateTask(_ id: Int, _ change: (inout ReplayTask) -> Void) {
        guard let index = tasks.firstIndex(where: { $0.id == id }) else { return }
        change(&tasks[index])
        if replay?.taskID == id { replay?.phase = tasks[index].phase }
    }

    /// `T`: the task list, or back.
    mutating func toggleTasks() {
        showTasks.toggle()
        taskSelection = max(0, tasks.count - 1)
        if showTasks && tasks.isEmpty { status = "no replays started here yet" }
    }

    mutating func tasksKey(_ key: Key) -> [Effect] {
        switch key {
        case .escape, .character("T"), .character("q"):
            showTasks = false
        case .character("j"), .down:
            taskSelection = min(max(0, tasks.count - 1), taskSelection + 1)
        case .character("k"), .up:
            taskSelection = max(0, taskSelection - 1)
        case .character("x"):
            guard tasks.indices.contains(taskSelection) else { return [] }
            let task = tasks[taskSelection]
            guard case .running(let progress) = task.phase else {
                status = "replay \(task.id) is not running"
                return []
            }
            updateTask(task.id) { $0.phase = .cancelling(progress) }
            return [.cancelTask(task.id)]
        case .enter:
            guard tasks.indices.contains(taskSelection) else { return [] }
            let task = tasks[taskSelection]
            var dialog = ReplayDialog(queue: task.queue, phase: task.phase, filters: task.filters)
            dialog.taskID = task.id
            replay = dialog
            showTasks = false
        default:
            break
        }
        return []
    }
}
