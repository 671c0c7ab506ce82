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
/// Without `output` nothing is piped: `tmux new-session` starts the tmux server, which would
/// inherit the pipe and keep it open, so reading it to the end would never return.
@discardableResult
func run(_ arguments: [String], output: Bool = false) throws -> (status: Int32, output: String) {
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

    init(width: Int = 160, height: Int = 48) throws {
        name = "warren-e2e-\(UUID().uuidString.prefix(8))"
        let started = try run(["tmux", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                               "env TERM=xterm-256color bash --norc --noprofile"])
        guard started.status == 0 else { throw TmuxError("tmux new-session failed (is tmux installed?)") }
    }

    deinit { _ = try? run(["tmux", "kill-session", "-t", name]) }

    /// Types a command line into the shell, followed by a marker with its exit status.
    func shell(_ command: String) throws {
        try keys(command + "; echo WARREN-EXIT=$?", "Enter")
    }

    func keys(_ keys: String...) throws {
        try run(["tmux", "send-keys", "-t", name] + keys)
    }

    /// Literal text (no key names).
    func type(_ text: String) throws {
        try run(["tmux", "send-keys", "-t", name, "-l", text])
    }

    func screen() throws -> String {
        try run(["tmux", "capture-pane", "-t", name, "-p"], output: true).output
    }

    /// Waits until the screen satisfies `condition`; returns that screen, or fails with the last one.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TmuxError("timed out after \(timeout)s waiting for \(what); the screen was:\n\(last)")
    }

    @discardableResult
    func waitFor(_ text: String, timeout: Double = 10) throws -> String {
        try waitFor("'\(text)'", timeout: timeout) { $0.contains(text) }
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
