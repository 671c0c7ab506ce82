import Foundation
import NIOCore
import Synchronization
import Testing
import WarrenClient

/// The RabbitMQ node scripts/test starts. Integration tests run only when it is set, and
/// scripts/test always sets it, so CI never skips them.
enum LiveBroker {
    static let url = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"]
    static let tlsURL = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_TLS_URL"]
    static let caFile = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_CA_FILE"]
    static let rabbitmqctl = ProcessInfo.processInfo.environment["WARREN_RABBITMQCTL"]
    static let isAvailable = url != nil

    static func connect(_ query: String = "") async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: url! + query)
    }

    /// A queue name no other test uses.
    static func uniqueName(_ prefix: String) -> String {
        "warren-test-\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `body` with a fresh connection and closes it afterwards, also when `body` throws.
    @discardableResult
    static func withConnection<T>(
        _ query: String = "", _ body: (AMQPConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(query)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` with a channel of a fresh connection; the connection is closed afterwards.
    @discardableResult
    static func withChannel<T>(
        _ query: String = "", _ body: (AMQPConnection, AMQPChannel) async throws -> T
    ) async throws -> T {
        try await withConnection(query) { connection in
            try await body(connection, try await connection.openChannel())
        }
    }

    /// Runs the node's rabbitmqctl (WARREN_RABBITMQCTL) and returns its standard output.
    /// The process runs on its own thread so the (small) cooperative pool is never blocked.
    @discardableResult
    static func rabbitmqctl(_ arguments: String...) async throws -> String {
        let executable = try #require(rabbitmqctl, "WARREN_RABBITMQCTL is not set")
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let stdout = Pipe()
                let stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                let errors = stderr.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                if process.terminationStatus == 0 {
                    continuation.resume(returning: String(decoding: output, as: UTF8.self))
                } else {
                    continuation.resume(throwing: CommandFailed(
                        command: "rabbitmqctl " + arguments.joined(separator: " "),
                        status: process.terminationStatus,
                        stderr: String(decoding: errors, as: UTF8.self)))
                }
            }.start()
        }
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var stderr: String
        var description: String { "\(command) exited with \(status): \(stderr)" }
    }

    /// Percent-encodes a URL query value (a file path, say).
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)!
    }
}

// MARK: - Waiting without hanging

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with ``TimedOut`` after `seconds`. Unlike a task group it does not wait
/// for `body` to notice cancellation, so a body stuck on a future that never completes cannot
/// hang the test run.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let done = Mutex(false)
    let claim: @Sendable () -> Bool = {
        done.withLock { wasDone in
            defer { wasDone = true }
            return !wasDone
        }
    }
    return try await withCheckedThrowingContinuation { continuation in
        let work = Task {
            do {
                let value = try await body()
                if claim() { continuation.resume(returning: value) }
            } catch {
                if claim() { continuation.resume(throwing: error) }
            }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if claim() {
                work.cancel()
                continuation.resume(throwing: TimedOut(what: what))
            }
        }
    }
}

/// Collects what an async sequence produces, on a task of its own, so a test can look at what
/// has arrived so far, wait for a count, and see how the sequence ended.
actor Recorder<Element: Sendable> {
    private(set) var items: [Element] = []
    /// `nil` while running; `.success` for a normal end, `.failure` for a thrown error.
    private(set) var end: Result<Void, any Error>?
    private var task: Task<Void, Never>?

    init() {}

    static func recording<S: AsyncSequence & Sendable>(_ sequence: S) async -> Recorder<Element>
    where S.Element == Element {
        let recorder = Recorder<Element>()
        await recorder.start(sequence)
        return recorder
    }

    private func start<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        task = Task {
            do {
                for try await item in sequence { self.append(item) }
                self.finish(.success(()))
            } catch {
                self.finish(.failure(error))
            }
        }
    }

    func append(_ item: Element) { items.append(item) }
    private func finish(_ result: Result<Void, any Error>) { end = result }

    /// Waits until at least `count` items arrived; returns all of them.
    @discardableResult
    func waitFor(count: Int, timeout: Duration = .seconds(10)) async throws -> [Element] {
        let deadline = ContinuousClock.now + timeout
        while items.count < count {
            guard ContinuousClock.now < deadline else {
                throw TimedOut(what: "\(count) items (have \(items.count), ended: \(String(describing: end)))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return items
    }

    /// Waits until the sequence ends.
    func waitForEnd(timeout: Duration = .seconds(10)) async throws -> Result<Void, any Error> {
        let deadline = ContinuousClock.now + timeout
        while end == nil {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: "the sequence to end") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return end!
    }

    func stop() { task?.cancel() }
}

/// The elements an `AsyncStream` holds right now, without waiting for more. Reads the stream in
/// an already-cancelled task: cancelling `next()` finishes the stream, and a finished stream
/// still hands out what it buffered before answering `nil`. The stream is finished afterwards.
func drainBuffered<Element: Sendable>(_ stream: AsyncStream<Element>) async -> [Element] {
    await withTaskGroup(of: [Element].self) { group in
        group.cancelAll()
        group.addTask {
            var drained: [Element] = []
            var iterator = stream.makeAsyncIterator()
            while let element = await iterator.next() { drained.append(element) }
            return drained
        }
        return await group.next() ?? []
    }
}

// MARK: - Broker errors

extension AMQPClientError {
    /// The broker's reason when it closed the channel, else `nil`.
    var channelCloseReason: AMQPCloseReason? {
        if case .channelClosedByServer(let reason) = self { return reason }
        return nil
    }

    var connectionCloseReason: AMQPCloseReason? {
        if case .connectionClosedByServer(let reason) = self { return reason }
        return nil
    }
}

/// Runs `body`, which must fail with an ``AMQPClientError``; returns that error.
func expectClientError(
    _ sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async throws -> AMQPClientError {
    do {
        try await body()
    } catch let error as AMQPClientError {
        return error
    } catch {
        Issue.record("expected an AMQPClientError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        throw error
    }
    Issue.record("expected an AMQPClientError, but nothing was thrown", sourceLocation: sourceLocation)
    throw TimedOut(what: "an error that never came")
}

/// Runs `body`, which must make the broker close the channel; returns the broker's reason.
func expectChannelClose(
    _ sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async throws -> AMQPCloseReason {
    let error = try await expectClientError(sourceLocation, body)
    return try #require(error.channelCloseReason, "expected channelClosedByServer, got \(error)",
                        sourceLocation: sourceLocation)
}

extension ByteBuffer {
    /// `count` bytes of a pattern that repeats with an odd period, so a dropped, doubled or
    /// reordered frame shows up as a mismatch.
    static func pattern(count: Int, seed: UInt8 = 0) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            for i in 0..<count { raw[i] = UInt8(truncatingIfNeeded: (i &* 31) % 251) &+ seed }
            return count
        }
        return buffer
    }
}
