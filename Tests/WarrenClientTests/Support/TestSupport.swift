import NIOCore
import Synchronization

@testable import WarrenClient

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// A method frame's bytes, as a broker would send them.
func frameBytes(channel: UInt16 = 0, _ method: AMQPMethod) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    try buffer.writeFrame(.method(channel: channel, method))
    return buffer
}

/// The broker's usual `connection.start`.
func connectionStart(mechanisms: String = "PLAIN AMQPLAIN") -> AMQPMethod {
    ConnectionStart(
        serverProperties: ["product": "RabbitMQ", "capabilities": .table(["publisher_confirms": true])],
        mechanisms: ByteBuffer(string: mechanisms)
    ).method
}

/// The outcome of a future that should already have completed, without blocking.
func outcome<T: Sendable>(_ future: EventLoopFuture<T>) -> Result<T, any Error>? {
    let box = Mutex<Result<T, any Error>?>(nil)
    future.whenComplete { result in box.withLock { $0 = result } }
    return box.withLock { $0 }
}

/// The client error a completed future failed with.
func failure<T: Sendable>(_ future: EventLoopFuture<T>) -> AMQPClientError? {
    guard case .failure(let error) = outcome(future) else { return nil }
    return error as? AMQPClientError
}
