import NIOCore
import Testing
import WarrenClient

/// tx.select / commit / rollback: publishes and acks take effect only on commit.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct TransactionTests {
    @Test func rollbackDiscardsAndCommitDeliversPublishes() async throws {
        try await LiveBroker.withChannel { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            try await channel.txSelect()
            for i in 1...3 { try await channel.publish(ByteBuffer(string: "rolled back \(i)"), routingKey: queue) }
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 0)
            try await channel.txRollback()
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 0)

            // The channel stays transactional after a rollback or commit.
            for i in 1...2 { try await channel.publish(ByteBuffer(string: "committed \(i)"), routingKey: queue) }
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 0)
            try await channel.txCommit()
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 2)
            let first = try #require(try await channel.get(queue, noAck: true))
            #expect(first.message.bodyString == "committed 1")
        }
    }

    @Test func acksTakeEffectOnCommit() async throws {
        try await LiveBroker.withConnection { connection in
            let setup = try await connection.openChannel()
            let queue = try await setup.queueDeclare("", exclusive: true).queue
            for i in 1...2 { try await setup.publish(ByteBuffer(string: "t\(i)"), routingKey: queue) }

            // Ack inside a transaction, roll back: the ack is undone, so closing the channel
            // requeues both messages.
            let rolledBack = try await connection.openChannel()
            try await rolledBack.txSelect()
            _ = try #require(try await rolledBack.get(queue))
            let second = try #require(try await rolledBack.get(queue))
            try await rolledBack.ack(deliveryTag: second.message.deliveryTag, multiple: true)
            try await rolledBack.txRollback()
            try await rolledBack.close()
            #expect(try await setup.queueDeclare(queue, passive: true).messageCount == 2)

            // Ack and commit: both gone for good, even after the channel closes.
            let committed = try await connection.openChannel()
            try await committed.txSelect()
            let one = try #require(try await committed.get(queue))
            let two = try #require(try await committed.get(queue))
            #expect(one.message.redelivered && two.message.redelivered)
            try await committed.ack(deliveryTag: two.message.deliveryTag, multiple: true)
            try await committed.txCommit()
            try await committed.close()
            #expect(try await setup.queueDeclare(queue, passive: true).messageCount == 0)
        }
    }

    @Test func commitWithoutSelectIsAPreconditionFailure() async throws {
        try await LiveBroker.withChannel { connection, channel in
            let reason = try await expectChannelClose { try await channel.txCommit() }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText == "PRECONDITION_FAILED - channel is not transactional")
            #expect(connection.isOpen)
        }
    }

    @Test func confirmModeAndTransactionsExcludeEachOther() async throws {
        try await LiveBroker.withConnection { connection in
            let confirming = try await connection.openChannel()
            try await confirming.confirmSelect()
            let reason = try await expectChannelClose { try await confirming.txSelect() }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText == "PRECONDITION_FAILED - cannot switch from confirm to tx mode")

            let transactional = try await connection.openChannel()
            try await transactional.txSelect()
            let other = try await expectChannelClose { try await transactional.confirmSelect() }
            #expect(other.replyCode == 406)
            #expect(other.replyText == "PRECONDITION_FAILED - cannot switch from tx to confirm mode")
        }
    }
}
