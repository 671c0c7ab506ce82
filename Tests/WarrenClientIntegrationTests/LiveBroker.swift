import Foundation
import Testing
import WarrenClient

/// The RabbitMQ node scripts/test starts. Integration tests run only when it is set, and
/// scripts/test always sets it, so CI never skips them.
enum LiveBroker {
    static let url = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_URL"]
    static let tlsURL = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_TLS_URL"]
    static let caFile = ProcessInfo.processInfo.environment["WARREN_RABBITMQ_CA_FILE"]
    static let rabbitmqctl = ProcessInfo.processInfo.environment["WARREN_RABBITMQCTL"]
    static let isAvailable = url != nil

    static func connect(_ query: String = "") async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: url! + query)
    }

    /// A queue name no other test uses.
    static func uniqueName(_ prefix: String) -> String {
        "warren-test-\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
