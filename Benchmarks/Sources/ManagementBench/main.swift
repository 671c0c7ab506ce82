import Foundation
import NIOCore
import NIOPosix
import WarrenBroker
import WarrenClient
import WarrenManagement

// GET /api/queues on the embedded broker with 10,000 queues, while AMQP traffic runs:
//   swift run -c release ManagementBench [queues] [rounds]
// Prints the time of each full listing and each 500-queue page, and the AMQP throughput
// with and without the listings going on.

let queueCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 10 : 10

/// One GET over a fresh connection; returns the body size.
func get(port: Int, _ path: String) async throws -> Int {
    let auth = Data("guest:guest".utf8).base64EncodedString()
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic \(auth)\r\nConnection: close\r\n\r\n"
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: request))
        var size = 0
        for try await chunk in inbound { size += chunk.readableBytes }
        return size
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func summary(_ label: String, _ times: [Double], bytes: Int) {
    let sorted = times.sorted()
    let median = sorted[sorted.count / 2]
    print(String(format: "%@: median %.1f ms, min %.1f ms, max %.1f ms over %d runs, %d bytes",
                 label, median, sorted.first!, sorted.last!, sorted.count, bytes))
}

/// Publishes to one queue and consumes it on another connection until cancelled; counts consumed.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    func read() -> Int { lock.lock(); defer { lock.unlock() }; return value }
}

let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
let management = try await ManagementServer.start(broker: broker, port: 0)
let url = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"

let setup = try await AMQPConnection.connect(to: url)
let setupChannel = try await setup.openChannel()
let declareStart = ContinuousClock.now
for n in 0..<queueCount {
    try await setupChannel.queueDeclare("bench-\(n)", durable: n % 2 == 0)
    if n % 10 == 0 {
        try await setupChannel.publish(ByteBuffer(string: "seed"), routingKey: "bench-\(n)")
    }
}
print("declared \(queueCount) queues in \(Int(milliseconds(ContinuousClock.now - declareStart))) ms")

let consumed = Counter()
let publisherConnection = try await AMQPConnection.connect(to: url)
let publisherChannel = try await publisherConnection.openChannel()
try await publisherChannel.queueDeclare("bench-traffic")
let consumerConnection = try await AMQPConnection.connect(to: url)
let consumerChannel = try await consumerConnection.openChannel()
try await consumerChannel.qos(prefetchCount: 500)
let deliveries = try await consumerChannel.consume("bench-traffic", noAck: true)
let consumer = Task {
    for try await _ in deliveries { consumed.add() }
}
let publisher = Task {
    let body = ByteBuffer(repeating: 0x61, count: 64)
    while !Task.isCancelled {
        for _ in 0..<100 { try await publisherChannel.publish(body, routingKey: "bench-traffic") }
        // Keep the publisher from outrunning the consumer without bound.
        try await Task.sleep(for: .microseconds(100))
    }
}

// Let rates and samples settle, then measure the AMQP rate with nothing else going on.
try await Task.sleep(for: .seconds(6))
var before = consumed.read()
try await Task.sleep(for: .seconds(3))
let idleRate = Double(consumed.read() - before) / 3
print(String(format: "AMQP traffic alone: %.0f msg/s (64-byte messages, one publisher, one consumer)", idleRate))

var fullTimes: [Double] = []
var fullBytes = 0
let clock = ContinuousClock()
before = consumed.read()
let listingStart = clock.now
for _ in 0..<rounds {
    let start = clock.now
    fullBytes = try await get(port: management.port, "/api/queues")
    fullTimes.append(milliseconds(clock.now - start))
}
let listingSeconds = milliseconds(clock.now - listingStart) / 1000
let busyRate = Double(consumed.read() - before) / listingSeconds
summary("GET /api/queues (\(queueCount + 1) queues, full listing)", fullTimes, bytes: fullBytes)
print(String(format: "AMQP traffic during full listings: %.0f msg/s", busyRate))

var pageTimes: [Double] = []
var pageBytes = 0
for round in 0..<(rounds * 3) {
    let start = clock.now
    pageBytes = try await get(port: management.port, "/api/queues?page=\(round % 20 + 1)&page_size=500")
    pageTimes.append(milliseconds(clock.now - start))
}
summary("GET /api/queues?page=N&page_size=500", pageTimes, bytes: pageBytes)

var sortedTimes: [Double] = []
for _ in 0..<rounds {
    let start = clock.now
    pageBytes = try await get(port: management.port, "/api/queues?page=1&page_size=500&sort=messages&sort_reverse=true")
    sortedTimes.append(milliseconds(clock.now - start))
}
summary("GET /api/queues?page=1&page_size=500&sort=messages&sort_reverse=true", sortedTimes, bytes: pageBytes)

var leanTimes: [Double] = []
for _ in 0..<rounds {
    let start = clock.now
    fullBytes = try await get(port: management.port, "/api/queues?disable_stats=true&enable_queue_totals=true")
    leanTimes.append(milliseconds(clock.now - start))
}
summary("GET /api/queues?disable_stats=true&enable_queue_totals=true", leanTimes, bytes: fullBytes)

publisher.cancel()
consumer.cancel()
try? await publisherConnection.close()
try? await consumerConnection.close()
try? await setup.close()
await management.shutdown()
try await broker.shutdown()
