import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenDashboard
import WarrenMonitor

extension ManagementTests {
    /// The dashboard's `/` filter on a broker with 10,000 queues: the queue it finds is far from
    /// the first page of any listing, and the poll plan brings its live figures.
    @Suite struct FilterAtScaleTests {
        @Test func theFilterFindsAQueueBeyondTheFirstPage() async throws {
            try await EmbeddedManagement.with { m in
                // One definitions import rather than 10,000 declares: the broker's work, not the client's.
                let queues = (0..<10_000).map {
                    #"{"name":"\#(String(format: "fleet.%05d", $0))","vhost":"/","durable":false,"auto_delete":false,"arguments":{}}"#
                }
                let imported = try await m.request("POST", "/api/definitions", body: #"{"queues":[\#(queues.joined(separator: ","))]}"#)
                #expect(imported.status < 300, "\(imported)")
                let connection = try await AMQPConnection.connect(to: m.amqpURL)
                let channel = try await connection.openChannel()
                for _ in 0..<3 { try await channel.publish(ByteBuffer(string: "x"), routingKey: "fleet.07777") }
                try await connection.close()

                let poller = Poller(source: try ManagementSource(url: "http://guest:guest@127.0.0.1:\(m.port)/"),
                                    interval: 1)
                var state = ViewState(width: 200, height: 60)
                _ = state.handle(.status(await poller.poll()))
                for character in "/07777" { _ = state.handle(.key(.character(character))) }
                _ = state.handle(.key(.enter))
                let table = state.table(.queues)
                #expect(table.names == ["fleet.07777"])
                #expect(table.count == 1 && table.row(0).queue == QueueID(name: "fleet.07777"))
                #expect(state.snapshot?.queue("fleet.07777")?.messages == 3)

                // The next poll asks statistics for what the filter shows.
                await poller.setFocus(state.pollFocus)
                let snapshot = try #require(await poller.poll().snapshot)
                #expect(snapshot.poll.planned)
                #expect(snapshot.queue("fleet.07777")?.messagesRate != nil, "no live figures for the filtered row")
                #expect(snapshot.queue("fleet.00001")?.messagesRate == nil, "statistics for a row out of view")
            }
        }
    }
}
