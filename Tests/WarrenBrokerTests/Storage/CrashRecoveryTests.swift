import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire

/// `warren broker --data-dir` as a child process, killed with SIGKILL at random moments while a
/// client publishes persistent messages with confirms to a fanout of durable queues. After each
/// restart every confirmed message is there exactly once and in order; only unconfirmed ones may
/// be missing. Needs the debug binary that `swift build --build-tests` produces.
@Suite(.serialized) struct CrashRecoveryTests {
    static let queues = ["crash.a", "crash.b", "crash.c"]

    @Test(.timeLimit(.minutes(5))) func killNineAtRandomMomentsLosesNoConfirmedMessage() async throws {
        let directory = try TemporaryDirectory()
        defer { if !FileManager.default.fileExists(atPath: directory.path + "/KEEP") { directory.remove() } }
        var contents: [String: [Int]] = Dictionary(uniqueKeysWithValues: Self.queues.map { ($0, []) })
        var nextNumber = 0
        var confirmedLastRound: [Int] = []
        var publishedLastRound = 0..<0
        for round in 0...20 {
            let child = try await ChildBroker.start(dataDirectory: directory.path)
            defer { child.kill() }
            let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(child.port)/")
            let setup = try await connection.openChannel()
            try await setup.exchangeDeclare("crash", type: "fanout", durable: true)
            for queue in Self.queues {
                try await setup.queueDeclare(queue, durable: true)
                try await setup.queueBind(queue, exchange: "crash")
            }
            var failed = false
            for queue in Self.queues {
                let seen = try await Self.contents(of: queue, on: connection)
                let previous = contents[queue]!
                let kept = Array(seen.prefix(previous.count)) == previous
                let added = Array(seen.dropFirst(previous.count))
                let ordered = added == added.sorted() && Set(added).count == added.count
                let known = added.allSatisfy { publishedLastRound.contains($0) }
                let missing = Set(confirmedLastRound).subtracting(added)
                #expect(kept, "round \(round): \(queue) lost or reordered earlier messages (\(seen.count) now, \(previous.count) before)")
                #expect(ordered, "round \(round): \(queue) has new messages out of order or twice")
                #expect(known, "round \(round): \(queue) has messages nobody published")
                #expect(missing.isEmpty, "round \(round): \(queue) lost \(missing.count) of \(confirmedLastRound.count) confirmed; data in \(directory.path)")
                failed = failed || !(kept && ordered && known && missing.isEmpty)
                contents[queue] = seen
            }
            if failed {
                _ = FileManager.default.createFile(atPath: directory.path + "/KEEP", contents: nil)
                try await connection.close()
                break
            }
            guard round < 20 else {
                try await connection.close()
                break
            }

            let first = nextNumber
            let publisher = Task { () -> [Int] in
                var confirmed: [Int] = []
                let channel = try await connection.openChannel()
                try await channel.confirmSelect()
                var number = first
                while !Task.isCancelled {
                    let window = number..<(number + 20)
                    for n in window {
                        try await channel.publish(ByteBuffer(string: String(n)), exchange: "crash", routingKey: "",
                                                  properties: BasicProperties(deliveryMode: 2))
                    }
                    number = window.upperBound
                    guard let summary = try? await channel.waitForConfirms(), summary.allAcked else { break }
                    confirmed += window
                }
                return confirmed
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...300)))
            child.kill()
            let confirmed = await (try? publisher.value) ?? []
            // Numbers the publisher may have sent: up to the window after the last confirmed one.
            nextNumber = first + 100_000
            publishedLastRound = first..<nextNumber
            confirmedLastRound = confirmed
        }
        #expect(contents["crash.a"]!.count > 100, "the rounds published something")
    }

    /// The queue's messages in order, taken with a consumer and requeued by closing its channel.
    static func contents(of queue: String, on connection: AMQPConnection) async throws -> [Int] {
        let channel = try await connection.openChannel()
        let count = Int(try await channel.queueDeclare(queue, passive: true).messageCount)
        var numbers: [Int] = []
        if count > 0 {
            try await channel.qos(prefetchCount: 0)
            let consumer = try await channel.consume(queue)
            for try await delivery in consumer {
                numbers.append(Int(delivery.bodyString) ?? -1)
                if numbers.count == count { break }
            }
        }
        try await channel.close()
        return numbers
    }
}

/// The debug `warren` binary running `broker --amqp-port 0 --management-port 0 --data-dir ...`.
final class ChildBroker: @unchecked Sendable {
    let process = Process()
    let port: Int
    let managementPort: Int

    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/warren").path
    }

    /// Starts the child and waits for it to name its ports, on a thread of its own: the child
    /// recovers its data directory first (seconds, in a debug build), and reading its output
    /// blocks, which would hold one of Swift concurrency's few shared threads meanwhile.
    static func start(dataDirectory: String, arguments: [String] = []) async throws -> ChildBroker {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try ChildBroker(dataDirectory: dataDirectory, arguments: arguments) })
            }.start()
        }
    }

    private init(dataDirectory: String, arguments extra: [String] = []) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw ChildBrokerError(description: "no \(Self.binary): run swift build --build-tests first")
        }
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["broker", "--amqp-port", "0", "--management-port", "0", "--data-dir", dataDirectory] + extra
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first lines name the ports: "warren broker: AMQP on amqp://127.0.0.1:PORT/ ..." and
        // "warren broker: management on http://127.0.0.1:PORT/".
        var lines = Data()
        while lines.filter({ $0 == UInt8(ascii: "\n") }).count < 2 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            lines += chunk
        }
        let text = String(decoding: lines, as: UTF8.self)
        func listener(_ scheme: String) -> Int? {
            guard let range = text.range(of: scheme + #"://127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
            return Int(text[range].split(separator: ":").last!)
        }
        guard let amqp = listener("amqp"), let management = listener("http") else {
            process.terminate()
            throw ChildBrokerError(description: "broker did not report its ports: \(text)")
        }
        self.port = amqp
        managementPort = management
    }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct ChildBrokerError: Error, CustomStringConvertible {
    var description: String
}
