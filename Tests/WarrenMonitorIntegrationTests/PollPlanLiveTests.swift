import Foundation
import NIOCore
import Synchronization
import Testing
import WarrenClient
import WarrenMonitor

/// The real management client, with every request it makes written down.
final class RecordingTransport: ManagementTransport, Sendable {
    private let recorded = Mutex<[String]>([])
    var urls: [String] { recorded.withLock { $0 } }

    func send(_ request: ManagementRequest, timeout: TimeAmount) async throws -> ManagementResponse {
        recorded.withLock { $0.append(request.url) }
        return try await HTTPClientTransport.shared.send(request, timeout: timeout)
    }

    /// /api/queues requests that ask RabbitMQ for statistics of every queue: neither
    /// `disable_stats` nor a page.
    var fullStatisticsListings: [String] {
        urls.filter { url in
            let components = URLComponents(string: url)!
            // Percent-encoded: the vhost "/" is "%2F", one segment (the decoded path splits it in two).
            let segments = components.percentEncodedPath.split(separator: "/")
            guard segments.starts(with: ["api", "queues"]), segments.count <= 3 else {
                return false
            }
            let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                                   uniquingKeysWith: { a, _ in a })
            return query["disable_stats"] != "true" && query["pagination"] != "true"
        }
    }
}

/// The large-broker poll plan against a RabbitMQ node of its own (scripts/test starts it, so
/// that its thousands of queues do not make every other test's poll a large-broker poll).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["WARREN_SCALE_RABBITMQ_URL"] != nil,
                "needs WARREN_SCALE_RABBITMQ_URL (scripts/test sets it)"))
struct PollPlanLiveTests {
    static let environment = ProcessInfo.processInfo.environment
    static let amqpURL = environment["WARREN_SCALE_RABBITMQ_URL"] ?? ""
    static let managementURL = environment["WARREN_SCALE_RABBITMQ_MANAGEMENT_URL"] ?? ""
    static let count = 3_000

    /// Queue i of `prefix`: one in five holds a message, one in ten dead-letters into the DLQ.
    static func declare(prefix: String, dlq: String) async throws {
        let connection = try await AMQPConnection.connect(to: amqpURL)
        let channel = try await connection.openChannel()
        _ = try await channel.queueDeclare(dlq)
        // A dead-letter queue that holds messages: its sources get statistics too.
        try await channel.publish(ByteBuffer(string: "dead"), routingKey: dlq)
        for i in 0..<count {
            let arguments: FieldTable = i % 10 == 0
                ? ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(dlq)] : [:]
            _ = try await channel.queueDeclare("\(prefix)\(i)", arguments: arguments)
            if i % 5 == 0 { try await channel.publish(ByteBuffer(string: "m\(i)"), routingKey: "\(prefix)\(i)") }
        }
        try await connection.close()
    }

    static func delete(prefix: String, dlq: String) async {
        guard let connection = try? await AMQPConnection.connect(to: amqpURL),
              let channel = try? await connection.openChannel() else { return }
        for i in 0..<count { try? await channel.queueDelete("\(prefix)\(i)") }
        try? await channel.queueDelete(dlq)
        try? await connection.close()
    }

    @Test func theSnapshotIsCompleteWithoutAFullStatisticsListing() async throws {
        let prefix = "plan-\(UInt32.random(in: 0...UInt32.max))-"
        let dlq = prefix + "dlq"
        try await Self.declare(prefix: prefix, dlq: dlq)
        do {
            try await check(prefix: prefix, dlq: dlq)
        } catch {
            await Self.delete(prefix: prefix, dlq: dlq)
            throw error
        }
        await Self.delete(prefix: prefix, dlq: dlq)
    }

    private func check(prefix: String, dlq: String) async throws {
        let transport = RecordingTransport()
        let source = try ManagementSource(url: Self.managementURL, transport: transport)
        // The dashboard's default sort (by name) and a `/` filter: the rows in view are the first
        // hundred names of this test's queues.
        let focus = PollFocus(sort: .name, filter: prefix, rows: 100)
        let poller = Poller(source: source, interval: 1)
        await poller.setFocus(focus)

        // RabbitMQ's statistics lag up to 5 s behind the declares: poll until the page has rates.
        let deadline = ContinuousClock.now + .seconds(90)
        var snapshot: Snapshot?
        while ContinuousClock.now < deadline {
            let status = await poller.poll()
            if let error = status.error { throw error }
            let candidate = try #require(status.snapshot)
            let mine = candidate.queues.filter { $0.name.hasPrefix(prefix) }
            let inView = mine.map(\.id).sorted().prefix(100)
            // Queue depths come from RabbitMQ's metrics, also up to 5 s late, and the inventory
            // is re-read every 20 s: the loop ends once one poll has them all right.
            let depths = (0..<Self.count).allSatisfy { candidate.queue("\(prefix)\($0)")?.messages == ($0 % 5 == 0 ? 1 : 0) }
            let sources = candidate.deadLetters.queue(QueueID(name: dlq))?.sources ?? []
            if mine.count == Self.count + 1, depths, sources.count == Self.count / 10,
               sources.allSatisfy({ candidate.queue($0.name)?.messagesRate != nil }),
               inView.allSatisfy({ candidate.queueRates[$0]?.depth?.origin == .api }) {
                snapshot = candidate
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let found = try #require(snapshot, "no poll had every depth, live rates for the rows in view and the sources")
        #expect(found.poll.planned)
        let dead = try #require(found.deadLetters.queue(QueueID(name: dlq)))
        #expect(Set(dead.sources) == Set((0..<Self.count).filter { $0 % 10 == 0 }.map { QueueID(name: "\(prefix)\($0)") }))
        // Every source and the DLQ itself were asked for statistics (the depth rate comes with them).
        for id in dead.sources + [dead.queue] {
            #expect(found.queue(id.name)?.messagesRate != nil, "no statistics for \(id)")
        }
        #expect(transport.fullStatisticsListings.isEmpty, "\(transport.fullStatisticsListings)")
        // RabbitMQ lists by name already: the page asks no sort (sort=name costs it ten times more).
        #expect(transport.urls.contains { $0.contains("name=\(prefix)") && !$0.contains("sort=") })
        // Outside the view, and not a dead-letter source: the inventory's depth, no statistics.
        let outside = QueueID(name: "\(prefix)999")
        #expect(found.queue(outside.name)?.messagesRate == nil && found.queueRates[outside]?.depth == nil)
    }
}
