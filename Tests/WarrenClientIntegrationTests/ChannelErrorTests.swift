import NIOCore
import Testing
import WarrenClient

/// What happens when RabbitMQ refuses something on a channel: the channel closes with the
/// broker's code and text, stays closed, and the connection carries on.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ChannelErrorTests {
    @Test func passiveDeclareOfMissingQueueClosesOnlyTheChannel() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let missing = LiveBroker.uniqueName("missing")
            let reason = try await expectChannelClose { try await channel.queueDeclare(missing, passive: true) }
            #expect(reason.replyCode == 404)
            #expect(reason.replyText.hasPrefix("NOT_FOUND - no queue"))
            #expect(reason.replyText == "NOT_FOUND - no queue '\(missing)' in vhost '/'")
            // The method that failed: queue.declare is class 50, method 10.
            #expect(reason.classID == 50 && reason.methodID == 10)

            // The channel stays closed: later calls fail with the same reason, without a round trip.
            #expect(!channel.isOpen)
            #expect(channel.closedError == .channelClosedByServer(reason))
            let later = try await expectClientError { try await channel.queueDeclare("", exclusive: true) }
            #expect(later == .channelClosedByServer(reason))
            let publish = try await expectClientError { try await channel.publish(ByteBuffer(), routingKey: "x") }
            #expect(publish == .channelClosedByServer(reason))
            // close() on a channel the broker closed is a no-op.
            try await channel.close()

            // The connection is fine: a new channel works.
            #expect(connection.isOpen)
            let fresh = try await connection.openChannel()
            let queue = try await fresh.queueDeclare("", exclusive: true).queue
            #expect(queue.hasPrefix("amq.gen-"))
        }
    }

    @Test func exclusiveQueueOfAnotherConnectionIsLocked() async throws {
        try await LiveBroker.withConnection { owner in
            let ownerChannel = try await owner.openChannel()
            let queue = LiveBroker.uniqueName("exclusive")
            try await ownerChannel.queueDeclare(queue, exclusive: true)
            try await LiveBroker.withConnection { other in
                // Declaring it (in any form, passive included) from another connection: 405.
                let declare = try await expectChannelClose {
                    try await other.openChannel().queueDeclare(queue, exclusive: true)
                }
                #expect(declare.replyCode == 405)
                #expect(declare.replyText.hasPrefix(
                    "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '\(queue)' in vhost '/'"))
                let passive = try await expectChannelClose {
                    try await other.openChannel().queueDeclare(queue, passive: true)
                }
                #expect(passive.replyCode == 405)

                // Consuming from it: 405 as well, in reply to basic.consume (60, 20).
                let consume = try await expectChannelClose { _ = try await other.openChannel().consume(queue) }
                #expect(consume.replyCode == 405)
                #expect(consume.replyText.hasPrefix("RESOURCE_LOCKED"))
                #expect(consume.classID == 60 && consume.methodID == 20)

                let get = try await expectChannelClose { _ = try await other.openChannel().get(queue) }
                #expect(get.replyCode == 405)
                #expect(other.isOpen)
            }
            // The owner is unaffected.
            #expect(try await ownerChannel.queueDeclare(queue, passive: true).queue == queue)
        }
    }

    @Test func redeclareWithOtherArgumentsIsInequivalent() async throws {
        try await LiveBroker.withConnection { connection in
            let queue = LiveBroker.uniqueName("inequivalent")
            let channel = try await connection.openChannel()
            try await channel.queueDeclare(queue, exclusive: true, arguments: ["x-message-ttl": .int32(60_000)])
            // The same declaration again is fine.
            try await channel.queueDeclare(queue, exclusive: true, arguments: ["x-message-ttl": .int32(60_000)])
            // RabbitMQ forces exclusive queues to be non-durable, so asking for durable is no conflict.
            try await channel.queueDeclare(
                queue, durable: true, exclusive: true, arguments: ["x-message-ttl": .int32(60_000)])

            let ttl = try await expectChannelClose {
                try await connection.openChannel().queueDeclare(
                    queue, exclusive: true, arguments: ["x-message-ttl": .int32(1_000)])
            }
            #expect(ttl.replyCode == 406)
            #expect(ttl.replyText == "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '\(queue)' "
                + "in vhost '/': received '1000' but current is '60000'")

            // Leaving the argument out is a difference too.
            let omitted = try await expectChannelClose {
                try await connection.openChannel().queueDeclare(queue, exclusive: true)
            }
            #expect(omitted.replyCode == 406)
            #expect(omitted.replyText == "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '\(queue)' "
                + "in vhost '/': received none but current is the value '60000' of type 'signedint'")
            #expect(connection.isOpen)
        }
    }

    @Test func redeclareWithOtherDurabilityIsInequivalent() async throws {
        try await LiveBroker.withConnection { connection in
            let queue = LiveBroker.uniqueName("inequivalent-durable")
            // Not exclusive (see above), so it needs deleting; x-expires removes it should this test
            // fail half-way.
            let arguments: FieldTable = ["x-expires": .int32(60_000)]
            let channel = try await connection.openChannel()
            try await channel.queueDeclare(queue, arguments: arguments)
            let durable = try await expectChannelClose {
                try await connection.openChannel().queueDeclare(queue, durable: true, arguments: arguments)
            }
            #expect(durable.replyCode == 406)
            #expect(durable.replyText == "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '\(queue)' "
                + "in vhost '/': received 'true' but current is 'false'")
            try await channel.queueDelete(queue)
        }
    }

    @Test func redeclareAddingAnArgumentIsInequivalent() async throws {
        try await LiveBroker.withConnection { connection in
            let queue = LiveBroker.uniqueName("inequivalent-add")
            try await connection.openChannel().queueDeclare(queue, exclusive: true)
            let reason = try await expectChannelClose {
                try await connection.openChannel().queueDeclare(
                    queue, exclusive: true, arguments: ["x-message-ttl": .int32(1_000)])
            }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText == "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '\(queue)' "
                + "in vhost '/': received the value '1000' of type 'signedint' but current is none")
        }
    }

    @Test func redeclareExchangeWithOtherTypeIsInequivalent() async throws {
        try await LiveBroker.withConnection { connection in
            let exchange = LiveBroker.uniqueName("inequivalent-ex")
            let channel = try await connection.openChannel()
            try await channel.exchangeDeclare(exchange, type: "direct")
            let reason = try await expectChannelClose {
                try await connection.openChannel().exchangeDeclare(exchange, type: "fanout")
            }
            #expect(reason.replyCode == 406)
            #expect(reason.replyText.hasPrefix(
                "PRECONDITION_FAILED - inequivalent arg 'type' for exchange '\(exchange)' in vhost '/'"))
            try await channel.exchangeDelete(exchange)
        }
    }

    @Test func publishToMissingExchangeClosesTheChannelAsynchronously() async throws {
        try await LiveBroker.withConnection { connection in
            let channel = try await connection.openChannel()
            let missing = LiveBroker.uniqueName("no-such-exchange")
            // basic.publish has no reply, so the publish itself succeeds ...
            try await channel.publish(ByteBuffer(string: "lost"), exchange: missing, routingKey: "k")
            // ... and the broker's channel.close fails the next request on the channel.
            let reason = try await expectChannelClose { try await channel.queueDeclare("", exclusive: true) }
            #expect(reason.replyCode == 404)
            #expect(reason.replyText == "NOT_FOUND - no exchange '\(missing)' in vhost '/'")
            #expect(reason.classID == 60 && reason.methodID == 40)  // basic.publish
            #expect(!channel.isOpen)

            let fresh = try await connection.openChannel()
            try await fresh.queueDeclare("", exclusive: true)
        }
    }

    @Test func closedChannelIdIsReused() async throws {
        try await LiveBroker.withConnection { connection in
            let first = try await connection.openChannel()
            _ = try await expectChannelClose { try await first.queueDeclare(LiveBroker.uniqueName("gone"), passive: true) }
            // The broker's close freed the id; a new channel can take it and works normally.
            let second = try await connection.openChannel()
            #expect(second.id == first.id)
            try await second.queueDeclare("", exclusive: true)
            let third = try await connection.openChannel()
            try await third.close()
            #expect(third.closedError == .channelClosed)
            let afterClose = try await expectClientError { try await third.queueDeclare("", exclusive: true) }
            #expect(afterClose == .channelClosed)
        }
    }
}
