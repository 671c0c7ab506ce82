import Foundation
import NIOCore
import Testing
import WarrenClient

/// What the client and RabbitMQ agree on in connection.tune, checked from both ends, and that
/// heartbeats keep an idle connection alive.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ConnectionTests {
    @Test func heartbeatIsNegotiatedAndSeenByTheBroker() async throws {
        let name = LiveBroker.uniqueName("hb5")
        try await LiveBroker.withConnection("?heartbeat=5&connection_name=\(name)") { connection in
            #expect(connection.negotiated.heartbeat == 5)
            let seen = try #require(try await brokerView(of: name))
            // rabbitmqctl's "timeout" column is the negotiated heartbeat, in seconds.
            #expect(seen["timeout"] as? Int == 5)
        }
    }

    @Test func heartbeatZeroTurnsHeartbeatsOff() async throws {
        let name = LiveBroker.uniqueName("hb0")
        try await LiveBroker.withConnection("?heartbeat=0&connection_name=\(name)") { connection in
            #expect(connection.negotiated.heartbeat == 0)
            let seen = try #require(try await brokerView(of: name))
            #expect(seen["timeout"] as? Int == 0)
        }
    }

    @Test func brokerDefaultsWithoutQueryParameters() async throws {
        let name = LiveBroker.uniqueName("defaults")
        try await LiveBroker.withConnection("?connection_name=\(name)") { connection in
            // The client asks for 60 s, as does RabbitMQ; frame and channel limits are the broker's.
            let negotiated = connection.negotiated
            #expect(negotiated.channelMax == 2047 && negotiated.frameMax == 131_072 && negotiated.heartbeat == 60)
            let seen = try #require(try await brokerView(of: name))
            #expect(seen["timeout"] as? Int == 60)
            #expect(seen["frame_max"] as? Int == 131_072)
            #expect(seen["channel_max"] as? Int == 2047)
            // The client properties arrive as sent (connection_name included, found above).
            let properties = try #require(seen["client_properties"] as? [[Any]])
            #expect(properties.contains { $0.first as? String == "product" && $0.last as? String == "Warren" })

            #expect(connection.serverProperties["product"] == "RabbitMQ")
            #expect(connection.serverProperties["version"] == "3.10.8")
            let capabilities = try #require(connection.serverProperties["capabilities"]?.tableValue)
            for capability in ["publisher_confirms", "basic.nack", "consumer_cancel_notify", "connection.blocked",
                               "authentication_failure_close", "exchange_exchange_bindings", "per_consumer_qos"] {
                #expect(capabilities[capability] == true, "\(capability)")
            }
        }
    }

    @Test func limitsFromTheURLAreSentToTheBroker() async throws {
        let name = LiveBroker.uniqueName("limits")
        try await LiveBroker.withConnection("?frame_max=8192&channel_max=10&heartbeat=7&connection_name=\(name)") {
            connection in
            let negotiated = connection.negotiated
            #expect(negotiated.channelMax == 10 && negotiated.frameMax == 8192 && negotiated.heartbeat == 7)
            let seen = try #require(try await brokerView(of: name))
            #expect(seen["frame_max"] as? Int == 8192)
            #expect(seen["channel_max"] as? Int == 10)
            #expect(seen["timeout"] as? Int == 7)
        }
    }

    /// With a 1 s heartbeat both sides give up on a silent peer after about 2 s, so a connection
    /// left idle for 4 s is only alive if both keep sending heartbeats.
    @Test func heartbeatsKeepAnIdleConnectionAlive() async throws {
        try await LiveBroker.withChannel("?heartbeat=1") { connection, channel in
            #expect(connection.negotiated.heartbeat == 1)
            try await Task.sleep(for: .seconds(4))
            #expect(connection.isOpen)
            #expect(channel.isOpen)
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            #expect(queue.hasPrefix("amq.gen-"))
        }
    }

    @Test func channelMaxIsEnforced() async throws {
        try await LiveBroker.withConnection("?channel_max=3") { connection in
            #expect(connection.negotiated.channelMax == 3)
            var channels: [AMQPChannel] = []
            for _ in 1...3 { channels.append(try await connection.openChannel()) }
            #expect(channels.map(\.id) == [1, 2, 3])
            let error = try await expectClientError { _ = try await connection.openChannel() }
            #expect(error == .tooManyChannels(max: 3))
            // Freeing one makes room again, with the freed id.
            try await channels[1].close()
            let reopened = try await connection.openChannel()
            #expect(reopened.id == 2)
            try await reopened.queueDeclare("", exclusive: true)
        }
    }

    @Test func closeIsCleanAndFinal() async throws {
        let connection = try await LiveBroker.connect()
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare("", exclusive: true).queue
        let recorder = await Recorder<AMQPDelivery>.recording(try await channel.consume(queue))
        let blocking = await Recorder<AMQPBlockingEvent>.recording(connection.blockingEvents)
        try await connection.close()
        #expect(!connection.isOpen)
        #expect(connection.closedError == .connectionClosed(reason: "closed by this client"))
        // Everything attached to the connection ends without an error.
        guard case .success = try await recorder.waitForEnd(), case .success = try await blocking.waitForEnd() else {
            Issue.record("consumers and blockingEvents should end normally on a clean close")
            return
        }
        let error = try await expectClientError { _ = try await connection.openChannel() }
        #expect(error == .connectionClosed(reason: "closed by this client"))
        // A second close is harmless.
        try await connection.close()
    }

    /// This connection as `rabbitmqctl list_connections` reports it, found by its connection_name.
    private func brokerView(of name: String) async throws -> [String: Any]? {
        let output = try await LiveBroker.rabbitmqctl(
            "list_connections", "client_properties", "timeout", "frame_max", "channel_max", "--formatter", "json",
            "--silent")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        return rows.first { row in
            let properties = row["client_properties"] as? [[Any]] ?? []
            return properties.contains { $0.first as? String == "connection_name" && $0.last as? String == name }
        }
    }
}
