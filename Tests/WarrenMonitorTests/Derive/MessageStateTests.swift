import Testing
@testable import WarrenMonitor

@Suite("Message states")
struct MessageStateTests {
    @Test func classicFromBackingQueueStatus() throws {
        var queue = QueueInfo(id: QueueID(name: "q"), messages: 100)
        var status = BackingQueueStatus()
        (status.q1, status.q2, status.q3, status.q4, status.deltaCount) = (10, 5, 7, 20, 58)
        queue.backingQueueStatus = status
        let states = MessageStates.derive(for: queue, broker: BrokerIdentity(product: .rabbitmq, version: "3.10.8"))
        #expect(states.precision == .classicQueues)
        #expect(states.alpha == 30)
        #expect(states.betaGamma == 12)
        #expect(states.beta == nil && states.gamma == nil)
        #expect(states.delta == 58)
    }

    @Test func fromFixtures() throws {
        let snapshot = Snapshot(state: try Fixture.state(), source: "fixtures")
        let lazy = try #require(snapshot.messageStates[QueueID(name: "demo.lazy")])
        #expect(lazy.precision == .classicQueues && lazy.alpha == 0 && lazy.delta == 2000)
        let quorum = try #require(snapshot.messageStates[QueueID(name: "demo.quorum")])
        #expect(quorum.precision == .quorumInMemory && quorum.inMemory == 0 && quorum.notInMemory == 10)
    }

    @Test func exactFromTheEmbeddedBroker() {
        var queue = QueueInfo(id: QueueID(name: "q"))
        var status = BackingQueueStatus()
        (status.alpha, status.beta, status.gamma, status.delta) = (4, 3, 2, 1)
        queue.backingQueueStatus = status
        let states = MessageStates.derive(for: queue, broker: nil)
        #expect(states.precision == .exact)
        #expect((states.alpha, states.beta, states.gamma, states.delta) == (4, 3, 2, 1))
    }

    @Test func rabbitMQ312AndLaterIsRAMVersusPagedOut() {
        var queue = QueueInfo(id: QueueID(name: "q"), messages: 10)
        var status = BackingQueueStatus()
        (status.q1, status.q2, status.q3, status.q4, status.deltaCount) = (0, 0, 6, 0, 4)
        queue.backingQueueStatus = status
        queue.messagesRAM = 6
        queue.messagesPagedOut = 4
        let states = MessageStates.derive(for: queue, broker: BrokerIdentity(product: .rabbitmq, version: "3.13.1"))
        #expect(states.precision == .ramVersusPagedOut)
        #expect(states.inMemory == 6 && states.notInMemory == 4 && states.alpha == nil)
    }

    /// RabbitMQ's messages_paged_out is delta's transient count: persistent messages on disk are
    /// in it as 0, and only messages - messages_ram tells how many are out of RAM.
    @Test func persistentMessagesOnDiskAreCountedFromMessagesRAM() {
        var queue = QueueInfo(id: QueueID(name: "q"), messages: 10)
        queue.messagesRAM = 6
        queue.messagesPagedOut = 0
        let states = MessageStates.derive(for: queue, broker: BrokerIdentity(product: .rabbitmq, version: "3.13.1"))
        #expect(states.precision == .ramVersusPagedOut)
        #expect(states.inMemory == 6 && states.notInMemory == 4)
    }

    @Test func unknownWithoutFigures() {
        #expect(MessageStates.derive(for: QueueInfo(id: QueueID(name: "q")), broker: BrokerIdentity(product: .rabbitmq, version: "3.10.8")).precision == .unknown)
    }
}
