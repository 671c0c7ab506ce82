import Foundation
import NIOCore
import WarrenBroker
import WarrenClient
import WarrenWire

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "warren-storage-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func files(in subdirectory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + subdirectory)) ?? []).sorted()
    }

    func size(of file: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "/" + file))?[.size] as? Int) ?? 0
    }
}

func startBroker(_ directory: TemporaryDirectory, segmentSize: Int? = nil) async throws -> Broker {
    var configuration = BrokerConfiguration(amqpPort: 0)
    configuration.dataDirectory = directory.path
    if let segmentSize { configuration.segmentSize = segmentSize }
    return try await Broker.start(configuration)
}

func connect(_ broker: Broker) async throws -> AMQPConnection {
    try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
}

let persistent = BasicProperties(deliveryMode: 2)

/// Every ready message of a queue, in order, left in the queue (fetched and requeued).
func drain(_ channel: AMQPChannel, _ queue: String) async throws -> [AMQPDelivery] {
    var messages: [AMQPDelivery] = []
    while let result = try await channel.get(queue, noAck: false) {
        messages.append(result.message)
    }
    return messages
}
