import Foundation
import WarrenMonitor

extension ViewState {
    /// How many messages a peek asks for.
    public static let peekCount = 20

    /// The current snapshot's alerts; the bell when one is new and the bell is on.
    mutating func evaluateAlerts() -> [Effect] {
        guard let thresholds = alertThresholds, let snapshot else { return [] }
        let before = Set(alerts.map { AlertKey(kind: $0.kind, vhost: $0.vhost, object: $0.object) })
        alerts = Alerts.evaluate(snapshot, previous: previous, thresholds: thresholds)
        alertedQueues = Set(alerts.compactMap(\.queue))
        let appeared = alerts.contains { !before.contains(AlertKey(kind: $0.kind, vhost: $0.vhost, object: $0.object)) }
        return bell && appeared ? [.bell] : []
    }

    /// Folds one event into the state; returns the I/O to do.
    public mutating func handle(_ event: Event) -> [Effect] {
        switch event {
        case .key(let key):
            return handleKey(key)
        case .poll(let latest, let error, let failures, let duration):
            connection.error = error
            connection.failures = failures
            connection.pollDuration = duration
            if let snapshot = latest, snapshot.takenAt != self.snapshot?.takenAt {
                previous = self.snapshot
                self.snapshot = snapshot
                connection.lastSnapshotAt = snapshot.takenAt
                history.record(snapshot)
                // Before the tables are made (clamping makes them): their rows show the alerts.
                let effects = evaluateAlerts()
                clampSelections()
                return effects
            }
            return []
        case .resize(let width, let height):
            self.width = width
            self.height = height
            return []
        case .tick(let date):
            now = date
            return []
        case .peeked(let queue, let result):
            var peek = peeks[queue] ?? PeekState()
            peek.loading = false
            switch result {
            case .success(let result):
                peek.messages = result.messages
                peek.warnings = result.warnings
                peek.error = nil
            case .failure(let error):
                peek.error = error.description
            }
            peeks[queue] = peek
            return []
        case .replay(let replayEvent):
            guard var dialog = replay else { return [] }
            switch (replayEvent, dialog.phase) {
            case (.progress(let progress), .planning):
                dialog.phase = .planning
                _ = progress
            case (.finished(let report), .planning):
                dialog.phase = .plan(report)
            default:
                break
            }
            replay = dialog
            return []
        case .replayFailed(let message):
            replay?.phase = .failed(message)
            return []
        case .task(let id, let replayEvent):
            taskEvent(id, replayEvent)
            return []
        case .taskFailed(let id, let message):
            updateTask(id) { $0.phase = .failed(message) }
            status = "replay failed: \(message)"
            return []
        case .purged(let queue, let result):
            switch result {
            case .success(let count): status = "purged \(count) messages from \(queue)"
            case .failure(let error): status = "purge of \(queue) failed: \(error)"
            }
            peeks[queue] = nil
            return []
        case .saved(let queue, let result):
            switch result {
            case .success(let report):
                status = "saved \(report.exported) messages of \(queue) to \(report.file)"
                    + (report.warnings.isEmpty ? "" : " (\(report.warnings[0]))")
            case .failure(let error): status = "save of \(queue) failed: \(error)"
            }
            return []
        case .editReady(let session):
            return [.openEditor(session)]
        case .edited(let session, .success(let text)):
            edited(session, text)
            return []
        case .edited(_, .failure(let error)):
            status = "edit failed: \(error)"
            return []
        case .editFailed(let message):
            status = message
            return []
        case .sent(let session, let result):
            compose = nil
            switch result {
            case .success(let words):
                status = words
                // The original has left its queue; a stale list would still show it.
                if let queue = session.queue { peeks[queue] = nil }
            case .failure(let error):
                status = "not sent: \(error)"
            }
            return []
        case .themeLoaded(let name, let warnings):
            themeName = name
            status = warnings.isEmpty ? "theme \(name)" : "theme \(name): \(warnings[0])"
                + (warnings.count > 1 ? " (+\(warnings.count - 1) more)" : "")
            return []
        case .themeFailed(let message):
            status = message
            return []
        }
    }

    /// The queue Enter, p, r and P act on: the one open, else the selected row's.
    public var targetQueue: QueueID? {
        switch screen {
        case .queue(let id), .message(let id, _), .causes(let id): return id
        case .dashboard:
            let table = table(focus)
            let index = list(focus).selection
            return index >= 0 && index < table.count ? table.row(index).queue : nil
        }
    }

    private mutating func handleKey(_ key: Key) -> [Effect] {
        if key == .control("c") { return [.quit] }
        switch input {
        case .filter(let text):
            return editLine(key, text: text, apply: { state, text in
                state.filter = text
                state.clampSelections()
            }, make: { .filter($0) }, submit: { state, text in
                state.filter = text
                state.input = .normal
                return []
            }, cancel: { state in
                state.filter = ""
                state.input = .normal
            })
        case .command(let text):
            return editLine(key, text: text, apply: { _, _ in }, make: { .command($0) }, submit: { state, text in
                state.input = .normal
                return state.runCommand(text)
            }, cancel: { state in state.input = .normal })
        case .purge(let queue, let typed):
            return editLine(key, text: typed, apply: { _, _ in }, make: { .purge(queue, typed: $0) },
                            submit: { state, text in
                state.input = .normal
                guard text == queue.name else {
                    state.status = "purge cancelled: '\(text)' is not '\(queue.name)'"
                    return []
                }
                state.status = "purging \(queue)…"
                return [.purge(queue)]
            }, cancel: { state in
                state.input = .normal
                state.status = "purge cancelled"
            })
        case .save(let queue, let count, let path):
            return editLine(key, text: path, apply: { _, _ in }, make: { .save(queue, count: count, path: $0) },
                            submit: { state, text in
                state.input = .normal
                let path = text.trimmingCharacters(in: .whitespaces)
                guard !path.isEmpty else {
                    state.status = "save cancelled: no file name"
                    return []
                }
                let filters = state.messageFilters[queue]?.filters ?? []
                state.status = "saving \(filters.isEmpty ? "" : "the filtered of ")\(count) messages of \(queue) to \(path)…"
                return [.save(queue, count: count, path: path, filters: filters)]
            }, cancel: { state in
                state.input = .normal
                state.status = "save cancelled"
            })
        case .messageFilter(let queue, let text):
            return editLine(key, text: text, apply: { _, _ in }, make: { .messageFilter(queue, $0) },
                            submit: { state, text in
                state.input = .normal
                state.applyMessageFilter(text, to: queue)
                return []
            }, cancel: { state in
                state.input = .normal
                state.messageFilters[queue] = nil
                state.drillSelection = 0
            })
        case .normal:
            break
        }
        if replay != nil { return replayKey(key) }
        if showTasks { return tasksKey(key) }
        if compose != nil { return composeKey(key) }
        guard let command = KeyBindings.command(for: key) else { return [] }
        if showHelp {
            switch command {
            case .help, .back: showHelp = false
            case .down: helpScroll += 1
            case .up: helpScroll = max(0, helpScroll - 1)
            case .quit: return [.quit]
            default: break
            }
            return []
        }
        return run(command)
    }

    private mutating func editLine(
        _ key: Key, text: String, apply: (inout ViewState, String) -> Void, make: (String) -> InputMode,
        submit: (inout ViewState, String) -> [Effect], cancel: (inout ViewState) -> Void
    ) -> [Effect] {
        var text = text
        switch key {
        case .enter: return submit(&self, text)
        case .escape:
            cancel(&self)
            return []
        case .backspace:
            if text.isEmpty {
                cancel(&self)
                return []
            }
            text.removeLast()
        case .character(let c): text.append(c)
        default: return []
        }
        input = make(text)
        apply(&self, text)
        return []
    }

}

/// Tells one alert from another across polls, whatever its figure.
struct AlertKey: Hashable {
    var kind: Alert.Kind
    var vhost: String?
    var object: String
}
