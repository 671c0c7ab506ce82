/// What a key does. The reducer interprets these; the key table maps keys to them.
public enum Command: String, Sendable, Hashable, CaseIterable {
    case help
    case filter
    case commandLine
    case open
    case back
    case quit
    case down
    case up
    case pageDown
    case pageUp
    case top
    case bottom
    case sortLeft
    case sortRight
    case invertSort
    case nextPane
    case previousPane
    case cycleTheme
    case zoom
    case peek
    case replay
    case purge
    case bodyMode
    case save
    case causes
    case edit
    case compose
    case tasks
}

/// Where a binding applies, for the help screen's sections.
public enum KeyScope: String, Sendable, Hashable, CaseIterable {
    case everywhere = "Everywhere"
    case lists = "Lists"
    case queue = "Queue and message views"
}

/// One row of the key table: the keys, the command, and what it does in words.
public struct KeyBinding: Sendable, Hashable {
    public var keys: [Key]
    public var command: Command
    public var scope: KeyScope
    public var summary: String

    public init(_ keys: [Key], _ command: Command, _ scope: KeyScope, _ summary: String) {
        self.keys = keys
        self.command = command
        self.scope = scope
        self.summary = summary
    }
}

/// The key table: it drives input, the `?` help screen and docs/keys.md.
public enum KeyBindings {
    public static let table: [KeyBinding] = [
        KeyBinding([.character("?")], .help, .everywhere, "show or hide this help"),
        KeyBinding([.character("q"), .control("c")], .quit, .everywhere, "quit (restores the terminal)"),
        KeyBinding([.escape], .back, .everywhere, "back: close a dialog, leave a view, clear the filter"),
        KeyBinding([.character(":")], .commandLine, .everywhere,
                   "command: :queues :exchanges :consumers :dlq :states :nodes :vhost NAME :theme NAME"),
        KeyBinding([.character("/")], .filter, .lists,
                   "filter the list by name; in a queue, its messages by expression (docs/filters.md; Esc clears)"),
        KeyBinding([.character("j"), .down], .down, .lists, "next row"),
        KeyBinding([.character("k"), .up], .up, .lists, "previous row"),
        KeyBinding([.pageDown, .control("f")], .pageDown, .lists, "next page"),
        KeyBinding([.pageUp, .control("b")], .pageUp, .lists, "previous page"),
        KeyBinding([.character("g"), .home], .top, .lists, "first row"),
        KeyBinding([.character("G"), .end], .bottom, .lists, "last row"),
        KeyBinding([.character("<"), .left], .sortLeft, .lists, "sort by the column to the left"),
        KeyBinding([.character(">"), .right], .sortRight, .lists, "sort by the column to the right"),
        KeyBinding([.character("I")], .invertSort, .lists, "invert the sort order"),
        KeyBinding([.tab], .nextPane, .lists, "next pane"),
        KeyBinding([.backTab], .previousPane, .lists, "previous pane"),
        KeyBinding([.character("z")], .zoom, .lists, "zoom the focused pane to the whole screen, or back"),
        KeyBinding([.enter], .open, .lists, "open: a queue's details and messages, or a message"),
        KeyBinding([.character("t")], .cycleTheme, .everywhere, "next theme"),
        KeyBinding([.character("p")], .peek, .queue, "peek at (more of) the queue's messages"),
        KeyBinding([.character("r")], .replay, .queue,
                   "replay a dead-letter queue: plan, confirm, progress (Esc leaves it running, x cancels it)"),
        KeyBinding([.character("P")], .purge, .queue, "purge the queue (type its name to confirm)"),
        KeyBinding([.character("b")], .bodyMode, .queue, "message body as text, JSON or hex"),
        KeyBinding([.character("c")], .causes, .queue,
                   "a DLQ's messages by cause: source, reason, error header (Enter lists a group, r replays it)"),
        KeyBinding([.character("e")], .edit, .queue,
                   "fix and resend the message: edit it in $EDITOR, preview, publish confirmed, then ack the original"),
        KeyBinding([.character("T")], .tasks, .everywhere,
                   "replays started here, running and finished (x cancels one, Enter shows it)"),
        KeyBinding([.character("n")], .compose, .everywhere, "publish a new message: write it in $EDITOR, preview, confirm"),
        KeyBinding([.character("s")], .save, .queue,
                   "save the peeked messages to a file (docs/export-format.md; edit the path, Enter)"),
    ]

    private static let lookup: [Key: Command] = {
        var map: [Key: Command] = [:]
        for binding in table {
            for key in binding.keys where map[key] == nil { map[key] = binding.command }
        }
        return map
    }()

    /// The command bound to a key, if any.
    public static func command(for key: Key) -> Command? { lookup[key] }

    /// The help screen's lines, by section.
    public static func helpLines() -> [String] {
        var lines: [String] = []
        for scope in KeyScope.allCases {
            lines.append(scope.rawValue)
            for binding in table where binding.scope == scope {
                let keys = binding.keys.map(\.label).joined(separator: " ")
                lines.append("  " + keys.padding(to: 14) + binding.summary)
            }
            lines.append("")
        }
        return lines
    }

    /// docs/keys.md, generated from the table (a test keeps the checked-in file current).
    public static func markdown() -> String {
        var text = "# Warren dashboard keys\n\n"
        text += "Generated from `KeyBindings.table` (Sources/WarrenDashboard/Input/KeyBindings.swift); "
        text += "`RECORD_SNAPSHOTS=1 swift test --filter keysDocumentIsCurrent` rewrites it.\n"
        for scope in KeyScope.allCases {
            text += "\n## \(scope.rawValue)\n\n| Keys | What it does |\n| --- | --- |\n"
            for binding in table where binding.scope == scope {
                let keys = binding.keys.map { "`\($0.label)`" }.joined(separator: " ")
                text += "| \(keys) | \(binding.summary) |\n"
            }
        }
        return text
    }
}

extension String {
    /// Pads with spaces (or cuts) to exactly `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}
