import Foundation
import NIOCore
import Testing
import WarrenClient

/// Deleting a user or a vhost closes the connections that depend on it, as RabbitMQ's connection
/// tracking does: 320 CONNECTION_FORCED with "user '...' is deleted" / "vhost '...' is deleted".
@Suite(.enabled(if: RabbitNode.isAvailable,
                "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
struct DeletionDifferentialTests {
    /// How the connection ended, once it has (RabbitMQ closes it shortly after the deletion).
    static func ending(of connection: AMQPConnection) async throws -> String {
        for _ in 0..<100 {
            if let error = connection.closedError { return AccessTranscript.describe(error) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return "still open after 10 s"
    }

    @Test func deletingAUserClosesItsConnectionsAndNoOneElses() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            try await side.createUser("del-app\(s)", tags: "")
            try await side.setPermissions("del-app\(s)", configure: ".*", write: ".*", read: ".*")
            let app = try await AMQPConnection.connect(to: side.amqpURL("del-app\(s)", "pw"))
            let other = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            t.record("delete user", try await side.request("DELETE", "/api/users/del-app\(s)"))
            t.record("the user's connection: \(try await Self.ending(of: app))")
            await t.attempt("guest's connection", on: other) { ch in _ = try await ch.queueDeclare("", exclusive: true) }
            await t.attempt("the user connects again") {
                try await AMQPConnection.connect(to: side.amqpURL("del-app\(s)", "pw")).close()
            }
            try? await other.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    @Test func deletingAVhostClosesTheConnectionsToIt() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let vhost = "del-vhost\(s)"
            _ = try await side.adminJSON("PUT", "/api/vhosts/\(vhost)")
            _ = try await side.adminJSON("PUT", "/api/permissions/\(vhost)/guest",
                                         body: #"{"configure":".*","write":".*","read":".*"}"#)
            let inside = try await AMQPConnection.connect(
                to: "amqp://guest:guest@127.0.0.1:\(side.amqpPort)/\(vhost)")
            let outside = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            t.record("delete vhost", try await side.request("DELETE", "/api/vhosts/\(vhost)"))
            // RabbitMQ closes them with "vhost '...' is deleted", or "is down" when its vhost_down
            // handler gets there first (two events of one deletion, in no fixed order).
            let ending = try await Self.ending(of: inside).replacing("' is down", with: "' is deleted")
            t.record("the connection to it: \(ending)")
            await t.attempt("a connection to /", on: outside) { ch in _ = try await ch.queueDeclare("", exclusive: true) }
            try? await outside.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }
}
