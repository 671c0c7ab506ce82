import Foundation
import Testing

/// scripts/test sets WARREN_E2E=1 (and installs tmux); without it these tests are skipped.
let endToEndEnabled = ProcessInfo.processInfo.environment["WARREN_E2E"] == "1"

/// The warren binary that `swift build` made (or $WARREN_BINARY).
let warrenBinary: String = {
    if let path = ProcessInfo.processInfo.environment["WARREN_BINARY"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/warren").path
}()

/// Runs a program; with `output`, returns its standard output (standard error is discarded).
///
/// The program runs and is waited for on a thread of its own: these tests poll tmux for tens of
/// seconds, and blocking Swift concurrency's few shared threads that long would stall every
/// other test in the process.
///
/// Without `output` nothing is piped: `tmux new-session` starts the tmux server, which would
/// inherit the pipe and keep it open, so reading it to the end would never return.
@discardableResult
func run(_ arguments: [String], output: Bool = false) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runBlocking(arguments, output: output) })
        }.start()
    }
}

/// ``run(_:output:)`` on the calling thread, for the few places that cannot wait (a deinit, a
/// defer) and run something that returns at once.
@discardableResult
func runBlocking(_ arguments: [String], output: Bool = false) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = output ? pipe : FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// One tmux session running a shell, driven like a user would: keys in, screen text out.
final class TmuxSession {
    let name: String

    init(width: Int = 160, height: Int = 48) async throws {
        name = "warren-e2e-\(UUID().uuidString.prefix(8))"
        // The first new-session starts the tmux server, which would inherit every descriptor of
        // this process that is not close-on-exec, among them the one Foundation's Process watches
        // to learn that a child exited: the call would never return. So bash closes them first.
        let closeAndStart = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; "#
            + "exec tmux new-session -d -s \(name) -x \(width) -y \(height) "
            + "'env TERM=xterm-256color bash --norc --noprofile'"
        let started = try await run(["bash", "-c", closeAndStart])
        guard started.status == 0 else { throw TmuxError("tmux new-session failed (is tmux installed?)") }
    }

    deinit { _ = try? runBlocking(["tmux", "kill-session", "-t", name]) }

    /// Types a command line into the shell, followed by a marker with its exit status.
    func shell(_ command: String) async throws {
        try await keys(command + "; echo WARREN-EXIT=$?", "Enter")
    }

    func keys(_ keys: String...) async throws {
        try await run(["tmux", "send-keys", "-t", name] + keys)
    }

    /// Literal text (no key names).
    func type(_ text: String) async throws {
        try await run(["tmux", "send-keys", "-t", name, "-l", text])
    }

    func screen() async throws -> String {
        try await run(["tmux", "capture-pane", "-t", name, "-p"], output: true).output
    }

    /// Waits until the screen satisfies `condition`; returns that screen, or fails with the last one.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try await screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TmuxError("timed out after \(timeout)s waiting for \(what); the screen was:\n\(last)")
    }

    @discardableResult
    func waitFor(_ text: String, timeout: Double = 10) async throws -> String {
        try await waitFor("'\(text)'", timeout: timeout) { $0.contains(text) }
    }
}

struct TmuxError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The Queues pane's row of a queue.
func queueRow(of screen: String, _ name: String) -> String? {
    screen.split(separator: "\n").map(String.init).first { $0.hasPrefix("│\(name) ") && $0.contains("classic") }
}
