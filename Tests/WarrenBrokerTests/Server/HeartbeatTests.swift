import NIOCore
import Testing
import WarrenBroker
import WarrenWire

/// Heartbeats as RabbitMQ does them: the broker takes the client's tune-ok value, sends a
/// heartbeat after half an interval without writing, and drops a peer silent for about two
/// intervals.
@Suite struct HeartbeatTests {
    @Test func silentPeerIsDropped() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, heartbeat: 1)
            let start = ContinuousClock.now
            var heartbeats = 0
            var sawMethod = false
            while let frame = try await raw.nextFrame(timeout: .seconds(20)) {
                switch frame {
                case .heartbeat: heartbeats += 1
                default: sawMethod = true
                }
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .seconds(2), "dropped after \(elapsed), before two intervals")
            // Dropped, not kept: how soon past two intervals depends on how busy the machine is.
            #expect(elapsed <= .seconds(15), "dropped after \(elapsed)")
            #expect(heartbeats >= 1, "the broker sent no heartbeat while both sides were silent")
            // RabbitMQ just drops the socket, with no connection.close.
            #expect(!sawMethod)
        }
    }

    @Test func peerSendingHeartbeatsStaysConnected() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, heartbeat: 1)
            var beat = ByteBuffer()
            beat.writeHeartbeatFrame()
            let sender = Task {
                while !Task.isCancelled {
                    try await raw.write(beat)
                    try? await Task.sleep(for: .milliseconds(400))
                }
            }
            // Four of the broker's heartbeats (at 1 s intervals), the connection open throughout.
            var received = 0
            while received < 4 {
                guard let frame = try await raw.nextFrame(timeout: .seconds(20)) else {
                    Issue.record("the broker closed a connection that sent heartbeats")
                    break
                }
                if case .heartbeat = frame { received += 1 }
            }
            sender.cancel()
            try await sender.value
            #expect(try await raw.isClosed == false)
            // Still a working connection.
            try await raw.openChannel(1)
            try await raw.send(ConnectionClose(replyCode: 200, replyText: "bye", classID: 0, methodID: 0))
            try await raw.expect("connection.close-ok") { if case .connectionCloseOk = $0 { true } else { false } }
        }
    }

    /// Traffic counts as life: a peer that keeps sending methods needs no heartbeats. A 2 s
    /// interval leaves a loaded machine seconds of slack between methods; the loop outlasts two
    /// intervals.
    @Test func peerSendingMethodsStaysConnected() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, heartbeat: 2)
            try await raw.openChannel(1)
            for _ in 0..<14 {
                try await raw.send(QueueDeclare(queue: "beat"), channel: 1)
                try await raw.expect("queue.declare-ok") { if case .queueDeclareOk = $0 { true } else { false } }
                try await Task.sleep(for: .milliseconds(400))
            }
            #expect(try await raw.isClosed == false)
            await raw.abort()
        }
    }

    /// heartbeat 0 in tune-ok switches heartbeats off: a silent peer stays connected.
    @Test func heartbeatZeroDisablesThem() async throws {
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, heartbeat: 0)
            await #expect(throws: RawAMQPConnection.Failure.self) {
                _ = try await raw.nextFrame(timeout: .milliseconds(2500))
            }
            #expect(try await raw.isClosed == false)
            await raw.abort()
        }
    }
}
