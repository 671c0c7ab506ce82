import Foundation
import WarrenMonitor

extension ViewState {
    /// Rows a page moves: the list's visible height, roughly.
    var pageSize: Int { max(1, height - 10) }

    mutating func run(_ command: Command) -> [Effect] {
        switch command {
        case .quit:
            return [.quit]
        case .help:
            showHelp = true
            helpScroll = 0
        case .filter:
            switch screen {
            case .dashboard: input = .filter(filter)
            case .queue(let queue), .message(let queue, _):
                screen = .queue(queue)
                input = .messageFilter(queue, messageFilters[queue]?.text ?? "")
            case .causes: break
            }
        case .commandLine:
            input = .command("")
        case .back:
            back()
        case .down: move(by: 1)
        case .up: move(by: -1)
        case .pageDown: move(by: pageSize)
        case .pageUp: move(by: -pageSize)
        case .top: move(to: 0)
        case .bottom: move(to: Int.max)
        case .sortLeft, .sortRight:
            guard screen == .dashboard else { return [] }
            let count = Self.columns(focus).count
            var state = list(focus)
            state.sortColumn = (state.sortColumn + (command == .sortLeft ? count - 1 : 1)) % count
            // Numbers read best largest first, names A to Z.
            state.sortDescending = Self.columns(focus)[state.sortColumn].kind != .text
            lists[focus] = state
        case .invertSort:
            guard screen == .dashboard else { return [] }
            lists[focus, default: ListState()].sortDescending.toggle()
        case .nextPane, .previousPane:
            guard screen == .dashboard else { return [] }
            let panes = Pane.allCases
            let index = panes.firstIndex(of: focus) ?? 0
            focus = panes[(index + (command == .nextPane ? 1 : panes.count - 1)) % panes.count]
        case .zoom:
            zoomed.toggle()
        case .cycleTheme:
            guard !themeNames.isEmpty else { return [] }
            let index = themeNames.firstIndex(of: themeName).map { ($0 + 1) % themeNames.count } ?? 0
            return [.loadTheme(themeNames[index])]
        case .open:
            return open()
        case .bodyMode:
            let modes = BodyMode.allCases
            bodyMode = modes[((modes.firstIndex(of: bodyMode) ?? 0) + 1) % modes.count]
            messageScroll = 0
        case .peek:
            guard let queue = targetQueue else { return [] }
            return peek(queue)
        case .replay:
            if readonly {
                status = "read-only: replay is disabled (--readonly)"
                return []
            }
            guard let queue = targetQueue else { return [] }
            var filters: [ReplayFilter] = []
            switch screen {
            case .causes:
                let groups = causeGroups(queue)
                guard groups.indices.contains(causeSelection) else { return [] }
                filters = groups[causeSelection].filters
            case .queue, .message:
                filters = messageFilters[queue]?.filters ?? []
            case .dashboard:
                break
            }
            replay = ReplayDialog(queue: queue, phase: .planning, filters: filters)
            return [.planReplay(queue)]
        case .purge:
            if readonly {
                status = "read-only: purge is disabled (--readonly)"
                return []
            }
            guard let queue = targetQueue else { return [] }
            input = .purge(queue, typed: "")
        case .save:
            return save()
        case .causes:
            return causes()
        case .edit:
            return editMessage()
        case .compose:
            return composeMessage()
        case .tasks:
            toggleTasks()
        }
        return []
    }

    /// How many messages `c` peeks to group them.
    public static let triageCount = 1000

    /// `c` in a queue view: the peeked messages by cause, peeking up to ``triageCount`` first.
    private mutating func causes() -> [Effect] {
        guard let queue = targetQueue, screen != .dashboard else {
            status = "open a dead-letter queue (Enter) to group its messages by cause"
            return []
        }
        screen = .causes(queue)
        causeSelection = 0
        if readonly {
            if peeks[queue]?.messages.isEmpty ?? true {
                peeks[queue, default: PeekState()].error = "peek is disabled (--readonly)"
            }
            return []
        }
        guard (peeks[queue]?.messages.count ?? 0) < Self.triageCount else { return [] }
        peeks[queue, default: PeekState()].loading = true
        return [.peek(queue, count: Self.triageCount)]
    }

    /// The filter typed for a queue's messages, applied (or the error in the status line).
    public mutating func applyMessageFilter(_ text: String, to queue: QueueID) {
        drillSelection = 0
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            messageFilters[queue] = nil
            status = nil
            return
        }
        switch ReplayFilter.parseAll(text) {
        case .success(let filters):
            messageFilters[queue] = MessageFilterState(text: text, filters: filters)
            let shown = visibleMessages(queue).count
            status = "filter \(text): \(shown) of \(peeks[queue]?.messages.count ?? 0) peeked messages"
        case .failure(let error):
            status = "filter not applied: \(error)"
        }
    }

    /// `s` in a queue or message view: asks where to save what was peeked.
    private mutating func save() -> [Effect] {
        switch screen {
        case .queue(let queue), .message(let queue, _), .causes(let queue):
            if readonly {
                status = "read-only: saving messages peeks, and peek is disabled (--readonly)"
                return []
            }
            guard let count = peeks[queue]?.messages.count, count > 0 else {
                status = "nothing peeked to save: press p first"
                return []
            }
            input = .save(queue, count: count, path: Self.defaultSavePath(queue, now: now))
        case .dashboard:
            status = "open a queue (Enter) and peek (p) to save its messages"
        }
        return []
    }

    /// `QUEUE-YYYYMMDD-HHMMSS.jsonl` in the working directory, with anything but letters, digits,
    /// `.`, `-` and `_` in the name replaced.
    static func defaultSavePath(_ queue: QueueID, now: Date) -> String {
        let safe = String(queue.name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(safe.isEmpty ? "queue" : safe)-\(formatter.string(from: now)).jsonl"
    }

    private mutating func back() {
        switch screen {
        case .message(let queue, _):
            screen = .queue(queue)
            messageScroll = 0
        case .causes(let queue):
            screen = .queue(queue)
        case .queue(let queue):
            if messageFilters[queue] != nil {
                messageFilters[queue] = nil
                drillSelection = 0
                status = nil
                return
            }
            screen = .dashboard
        case .dashboard:
            if zoomed {
                zoomed = false
            } else if !filter.isEmpty {
                filter = ""
                clampSelections()
            }
            status = nil
        }
    }

    private mutating func open() -> [Effect] {
        switch screen {
        case .dashboard:
            guard let queue = targetQueue else { return [] }
            screen = .queue(queue)
            drillSelection = 0
            if peeks[queue]?.messages.isEmpty ?? true { return peek(queue) }
            return []
        case .queue(let queue):
            let messages = visibleMessages(queue)
            guard messages.indices.contains(drillSelection) else { return [] }
            screen = .message(queue, index: drillSelection)
            messageScroll = 0
            bodyMode = messages[drillSelection].bodyEncoding == .json ? .json : .text
            return []
        case .message:
            return []
        case .causes(let queue):
            // A group's messages: the queue view, filtered to that cause.
            let groups = causeGroups(queue)
            guard groups.indices.contains(causeSelection) else { return [] }
            screen = .queue(queue)
            applyMessageFilter(groups[causeSelection].expression, to: queue)
            return []
        }
    }

    private mutating func peek(_ queue: QueueID) -> [Effect] {
        if readonly {
            peeks[queue, default: PeekState()].error = "peek is disabled (--readonly)"
            return []
        }
        peeks[queue, default: PeekState()].loading = true
        let count = max(Self.peekCount, (peeks[queue]?.messages.count ?? 0) + Self.peekCount)
        return [.peek(queue, count: count)]
    }

    private mutating func move(by delta: Int) {
        switch screen {
        case .dashboard:
            let count = table(focus).count
            var state = list(focus)
            state.selection = max(0, min(count - 1, state.selection + delta))
            lists[focus] = state
        case .queue(let queue):
            let count = visibleMessages(queue).count
            drillSelection = max(0, min(count - 1, drillSelection + delta))
        case .causes(let queue):
            causeSelection = max(0, min(causeGroups(queue).count - 1, causeSelection + delta))
        case .message:
            messageScroll = max(0, messageScroll + delta)
        }
    }

    private mutating func move(to index: Int) {
        switch screen {
        case .message:
            messageScroll = index == 0 ? 0 : max(0, height)
        default:
            move(by: index == 0 ? Int.min / 2 : Int.max / 2)
        }
    }

    mutating func clampSelections() {
        for pane in Pane.allCases {
            let count = table(pane).count
            lists[pane, default: ListState()].selection = max(0, min(count - 1, list(pane).selection))
        }
    }

    /// Runs a `:` command line.
    mutating func runCommand(_ line: String) -> [Effect] {
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard let name = words.first?.lowercased() else { return [] }
        let argument = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : nil
        let panes: [String: Pane] = [
            "queues": .queues, "exchanges": .exchanges, "x": .exchanges, "consumers": .consumers,
            "dlq": .dlq, "dlqs": .dlq, "states": .states, "nodes": .nodes,
        ]
        if let pane = panes[name] {
            screen = .dashboard
            focus = pane
            return []
        }
        switch name {
        case "vhost":
            vhost = argument.flatMap { $0.isEmpty || $0 == "*" ? nil : $0 }
            clampSelections()
            status = vhost.map { "vhost \($0)" } ?? "all vhosts"
            return []
        case "theme":
            guard let argument, !argument.isEmpty else {
                status = "themes: " + themeNames.joined(separator: ", ")
                return []
            }
            return [.loadTheme(argument)]
        case "quit", "q", "q!":
            return [.quit]
        default:
            status = "unknown command :\(name) (try :queues :exchanges :consumers :dlq :states :nodes :vhost :theme)"
            return []
        }
    }
}
