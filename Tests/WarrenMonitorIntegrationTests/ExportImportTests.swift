import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient
import WarrenWire
@testable import WarrenMonitor

/// `warren export` and `warren import` through a real broker: every property and field-table type
/// goes out of one queue into a file and back into another exactly as it was published.
enum ExportImportScenarios {
    /// One value of each field type RabbitMQ parses, nested in a table and an array.
    static let everyType: FieldTable = {
        let scalars: [(String, FieldValue)] = [
            ("t", .bool(true)), ("b", .int8(.min)), ("B", .uint8(.max)), ("s", .int16(.min)), ("u", .uint16(.max)),
            ("I", .int32(.min)), ("i", .uint32(.max)), ("l", .int64(.min)), ("f", .float(-1.5)),
            ("d", .double(.leastNonzeroMagnitude)), ("D", .decimal(scale: 3, value: -12345)),
            ("S", .string("héllo \"world\"\n/\\")), ("S-binary", .binaryString([0xff, 0x00, 0x80])),
            ("x", .bytes([0, 1, 0xff])), ("T", .timestamp(1_700_000_000)), ("V", .void),
        ]
        return FieldTable(scalars + [
            ("A", .array(scalars.map(\.1) + [.array([])])),
            ("F", .table(FieldTable([("inner", .table(FieldTable(scalars)))]))),
        ])
    }()

    static func properties(_ id: Int) -> BasicProperties {
        var headers = everyType
        headers["test-id"] = .int64(Int64(id))
        return BasicProperties(
            contentType: "application/octet-stream", contentEncoding: "identity", headers: headers,
            deliveryMode: UInt8(1 + id % 2), priority: UInt8(id % 10), correlationID: "corr-\(id)", replyTo: "replies",
            expiration: "3600000", messageID: "m-\(id)", timestamp: 1_700_000_000 + UInt64(id), type: "export.test",
            userID: "guest", appID: "warren-tests", clusterID: "c-\(id)")
    }

    /// Text, binary, empty and one body larger than a frame.
    static func body(_ id: Int) -> [UInt8] {
        switch id % 4 {
        case 0: return Array("{\"id\":\(id),\"text\":\"é\"}".utf8)
        case 1: return (0..<256).map { UInt8(($0 + id) % 256) }
        case 2: return []
        default: return id == 3 ? [UInt8](repeating: 0x41, count: 300_000) : Array("plain \(id)".utf8)
        }
    }

    static func wire(_ properties: BasicProperties) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try ContentHeader(bodySize: 0, properties: properties).encode(into: &buffer)
        return buffer
    }

    static func temporaryFile() -> String {
        NSTemporaryDirectory() + "warren-export-\(UInt32.random(in: 0...UInt32.max)).jsonl"
    }

    /// `queueInfo` comes from the management API when there is one; without it the peek is forced.
    static func roundTrip(_ url: String, queueInfo: (String) async throws -> QueueInfo? = { _ in nil }) async throws {
        let base = Live.unique("export")
        let (source, copy, viaExchange, exchange) = (base + ".source", base + ".copy", base + ".routed", base + ".x")
        let count = 40
        try await Live.withChannel(url) { channel in
            for queue in [source, copy, viaExchange] { _ = try await channel.queueDeclare(queue) }
            try await channel.exchangeDeclare(exchange, type: "direct")
            try await channel.queueBind(viaExchange, exchange: exchange, routingKey: source)
            try await channel.confirmSelect()
            for id in 0..<count {
                try await channel.publish(ByteBuffer(bytes: body(id)), routingKey: source, properties: properties(id))
            }
            try await channel.waitForConfirms()
        }
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: file) }

        // A peek: the file holds every message, the queue still does too.
        let info = try await queueInfo(source)
        let peek = ExportOptions(force: info == nil)
        let peeked = try await Export.run(amqpURL: url, queue: source, to: file, options: peek, queueInfo: info)
        #expect(peeked.exported == count && !peeked.consumed)
        #expect(try await Live.depth(source, url: url) == count)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == count)

        // An existing file is refused unless overwritten.
        await #expect(throws: MonitorError.self) {
            _ = try await Export.run(amqpURL: url, queue: source, to: file, options: peek, queueInfo: info)
        }

        let imported = try await Import.run(amqpURL: url, file: file, options: ImportOptions(target: .queue(copy)))
        #expect(imported.messages == count && imported.published == count && imported.complete)
        let copied = try await Live.drain(copy, url: url)
        #expect(copied.count == count)
        for (id, message) in copied.enumerated() {
            #expect(try wire(message.properties) == wire(properties(id)), "message \(id)'s properties")
            #expect(Array(message.body.readableBytesView) == body(id), "message \(id)'s body")
        }

        // Through an exchange with each message's own routing key; an unroutable key is returned.
        let routed = try await Import.run(amqpURL: url, file: file,
                                          options: ImportOptions(target: .exchange(exchange, routingKey: nil)))
        #expect(routed.published == count && routed.returned == 0)
        #expect(try await Live.depth(viaExchange, url: url) == count)
        let unroutable = try await Import.run(amqpURL: url, file: file,
                                              options: ImportOptions(target: .exchange(exchange, routingKey: "nowhere")))
        #expect(unroutable.returned == count && unroutable.published == 0 && !unroutable.complete)

        // --consume takes them, and only after the file holds them.
        let taken = try await Export.run(amqpURL: url, queue: source, to: file,
                                         options: ExportOptions(consume: true, overwrite: true, syncEvery: 7),
                                         queueInfo: nil)
        #expect(taken.exported == count && taken.consumed)
        #expect(try await Live.depth(source, url: url) == 0)
        #expect(try Import.read(file).map(\.message.properties.messageID) == (0..<count).map { "m-\($0)" })

        try await Live.withChannel(url) { channel in
            for queue in [source, copy, viaExchange] { _ = try await channel.queueDelete(queue) }
            try await channel.exchangeDelete(exchange)
        }
    }

    /// A bad line stops the import before anything is published, naming the line.
    static func badLineSendsNothing(_ url: String) async throws {
        let queue = Live.unique("import-bad")
        try await Live.withChannel(url) { _ = try await $0.queueDeclare(queue) }
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let good = try ExportedMessage(routingKey: queue, body: Array("ok".utf8)).line()
        try [good, good, #"{"body":"x","propertys":{}}"#, good].joined(separator: "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try await Import.run(amqpURL: url, file: file, options: ImportOptions(target: .queue(queue)))
            Issue.record("the import went ahead")
        } catch {
            #expect("\(error)".contains("line 3") && "\(error)".contains("propertys"), "\(error)")
        }
        #expect(try await Live.depth(queue, url: url) == 0)
        try await Live.withChannel(url) { _ = try await $0.queueDelete(queue) }
    }
}

@Suite("Export and import, RabbitMQ 3.10.8", .disabled(if: !Live.isAvailable, "no RabbitMQ (scripts/test starts one)"))
struct ExportImportOnRabbitMQTests {
    @Test func everyFieldRoundTrips() async throws {
        try await ExportImportScenarios.roundTrip(Live.amqpURL!) {
            try await Live.management().queueDetail(QueueID(name: $0))
        }
    }

    @Test func aBadLineSendsNothing() async throws {
        try await ExportImportScenarios.badLineSendsNothing(Live.amqpURL!)
    }
}

@Suite("Export and import, embedded broker")
struct ExportImportOnEmbeddedBrokerTests {
    static func withBroker(_ body: (String) async throws -> Void) async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        do {
            try await body("amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
            try await broker.shutdown()
        } catch {
            try? await broker.shutdown()
            throw error
        }
    }

    @Test func everyFieldRoundTrips() async throws {
        try await Self.withBroker { try await ExportImportScenarios.roundTrip($0) }
    }

    @Test func aBadLineSendsNothing() async throws {
        try await Self.withBroker { try await ExportImportScenarios.badLineSendsNothing($0) }
    }
}
