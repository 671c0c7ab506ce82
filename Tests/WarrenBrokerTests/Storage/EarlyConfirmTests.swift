import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire
@testable import WarrenBroker

/// A persistent message that every queue lets go of before its batch is fsynced (here: a no-ack
/// consumer takes it at once) is confirmed without waiting for the disk, as in RabbitMQ; one
/// that stays queued waits for the fsync. Interleaved, the publisher still sees its acks in
/// order, each message acked exactly once.
@Suite struct EarlyConfirmTests {
    @Test func earlyAndDiskConfirmsInterleavedStayInOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await startBroker(directory)
        let client = try await connect(broker)
        let setup = try await client.openChannel()
        try await setup.queueDeclare("taken", durable: true)
        try await setup.queueDeclare("kept", durable: true)
        let consumer = try await setup.consume("taken", noAck: true)

        let raw = try await RawAMQPConnection.open(port: broker.amqpPort)
        try await raw.openChannel(1)
        try await raw.send(ConfirmSelect(noWait: false), channel: 1)
        try await raw.expect("confirm.select-ok") { if case .confirmSelectOk = $0 { true } else { false } }
        let count = 400
        var batch = ByteBuffer()
        for number in 1...count {
            try batch.writePublish(channel: 1, BasicPublish(exchange: "", routingKey: number % 2 == 0 ? "taken" : "kept"),
                                   properties: BasicProperties(deliveryMode: 2), body: ByteBuffer(string: "\(number)"),
                                   frameMax: 131_072)
        }
        try await raw.write(batch)

        var confirmed: UInt64 = 0
        var orderKept = true
        var nacks = 0
        while confirmed < UInt64(count) {
            switch try await raw.nextMethod() {
            case .basicAck(let ack)?:
                if ack.deliveryTag <= confirmed || (!ack.multiple && ack.deliveryTag != confirmed + 1) { orderKept = false }
                confirmed = ack.deliveryTag
            case .basicNack?:
                nacks += 1
                confirmed += 1
            case nil:
                Issue.record("the connection ended after \(confirmed) confirms")
                confirmed = UInt64(count)
            default:
                continue
            }
        }
        #expect(orderKept, "acks come in publish order and cover each message once")
        #expect(nacks == 0)
        var taken = 0
        for try await _ in consumer {
            taken += 1
            if taken == count / 2 { break }
        }
        #expect(try await setup.queueDeclare("kept", passive: true).messageCount == UInt32(count / 2))
        await raw.abort()
        try await client.close()
        try await broker.shutdown()
    }
}
