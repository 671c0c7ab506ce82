import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire

/// tx.commit-ok for persistent messages comes only once they are on disk: a broker killed with
/// SIGKILL straight after the last commit-ok has every committed message after a restart.
@Suite(.serialized) struct TransactionDurabilityTests {
    @Test func everyCommittedMessageSurvivesAKillRightAfterCommitOk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let commits = 40
        for round in 0..<3 {
            let child = try await ChildBroker.start(dataDirectory: directory.path)
            let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(child.port)/")
            let channel = try await connection.openChannel()
            try await channel.queueDeclare("tx", durable: true)
            try await channel.txSelect()
            for commit in 0..<commits {
                for part in 0..<3 {
                    try await channel.publish(ByteBuffer(string: "\(round)-\(commit)-\(part)"), routingKey: "tx",
                                              properties: BasicProperties(deliveryMode: 2))
                }
                try await channel.txCommit()
            }
            child.kill()
        }
        let child = try await ChildBroker.start(dataDirectory: directory.path)
        defer { child.kill() }
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(child.port)/")
        let channel = try await connection.openChannel()
        let declared = try await channel.queueDeclare("tx", passive: true)
        #expect(declared.messageCount == UInt32(3 * commits * 3))
        var expected: [String] = []
        for round in 0..<3 {
            for commit in 0..<commits { for part in 0..<3 { expected.append("\(round)-\(commit)-\(part)") } }
        }
        var bodies: [String] = []
        while let got = try await channel.get("tx", noAck: true) { bodies.append(got.message.bodyString) }
        #expect(bodies == expected, "every committed message, in order")
        try await connection.close()
    }
}
