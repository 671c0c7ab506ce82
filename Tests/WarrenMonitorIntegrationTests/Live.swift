import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenMonitor

/// The RabbitMQ node (and cluster) scripts/test starts. These tests run only when it is set, and
/// scripts/test always sets it, so CI never skips them.
enum Live {
    static let environment = ProcessInfo.processInfo.environment
    static let amqpURL = environment["WARREN_RABBITMQ_URL"]
    static let managementURL = environment["WARREN_RABBITMQ_MANAGEMENT_URL"]
    static let rabbitmqctl = environment["WARREN_RABBITMQCTL"]
    static let isAvailable = amqpURL != nil && managementURL != nil

    static func unique(_ prefix: String) -> String { "warren-mon-\(prefix)-\(UInt32.random(in: 0...UInt32.max))" }

    static func management() throws -> ManagementSource { try ManagementSource(url: managementURL!) }

    /// Runs `body` on a channel of a fresh connection, closing the connection afterwards.
    @discardableResult
    static func withChannel<T>(_ url: String? = nil, _ body: (AMQPChannel) async throws -> T) async throws -> T {
        let connection = try await AMQPConnection.connect(to: url ?? amqpURL!)
        do {
            let result = try await body(try await connection.openChannel())
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Repeats `check` until it returns a value or `seconds` pass (RabbitMQ's statistics lag up to
    /// 5 s behind what was declared, so tests wait for them rather than sleeping blindly).
    static func eventually<T>(_ what: String, seconds: Double = 30, _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if let value = try await check() { return value }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TimedOut(what: what + (lastError.map { " (last error: \($0))" } ?? ""))
    }

    /// Ready messages of a queue, by passive declare.
    static func depth(_ queue: String, url: String? = nil) async throws -> Int {
        try await withChannel(url) { Int(try await $0.queueDeclare(queue, passive: true).messageCount) }
    }

    /// Takes every message of a queue (acking them).
    static func drain(_ queue: String, url: String? = nil) async throws -> [AMQPDelivery] {
        try await withChannel(url) { channel in
            var messages: [AMQPDelivery] = []
            while let got = try await channel.get(queue, noAck: true) { messages.append(got.message) }
            return messages
        }
    }

    /// Runs a program and returns its exit status, stdout and stderr. On a thread of its own so
    /// the cooperative pool is never blocked.
    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:],
                    clearing: [String] = []) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                var env = ProcessInfo.processInfo.environment
                for key in clearing { env[key] = nil }
                env.merge(extra) { _, new in new }
                process.environment = env
                let out = Pipe()
                let err = Pipe()
                process.standardOutput = out
                process.standardError = err
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                let stderr = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                                                String(decoding: stderr, as: UTF8.self)))
            }.start()
        }
    }

    /// rabbitmqctl of the test node (WARREN_RABBITMQCTL), or of another node's wrapper.
    @discardableResult
    static func ctl(_ arguments: String..., wrapper: String? = nil) async throws -> String {
        let executable = try #require(wrapper ?? rabbitmqctl, "WARREN_RABBITMQCTL is not set")
        let result = try await run(executable, arguments)
        guard result.status == 0 else {
            throw CommandFailed(description: "rabbitmqctl \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        return result.stdout
    }

    /// The `warren` binary `swift build --build-tests` produced.
    static var warrenBinary: String {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(".build/debug/warren").path
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

struct CommandFailed: Error, CustomStringConvertible {
    var description: String
}

extension AMQPDelivery {
    var header: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in properties.headers?.entries ?? [] {
            if let text = value.stringValue { out[key] = text } else if let n = value.int64Value { out[key] = String(n) }
        }
        return out
    }
}
