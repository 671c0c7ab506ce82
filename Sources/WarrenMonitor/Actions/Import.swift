import Foundation
import NIOCore
import WarrenClient
import WarrenWire

/// How to import an export file.
public struct ImportOptions: Sendable {
    /// `queue:NAME`, or `exchange:NAME` (each message's own routing key) or `exchange:NAME:KEY`.
    public var target: ReplayTarget
    /// At most this many messages per second.
    public var ratePerSecond: Double?
    /// Published and not yet confirmed at a time.
    public var window: Int
    /// Leave out each message's user_id (RabbitMQ refuses a publish whose user_id is not the
    /// connection's user).
    public var dropUserID: Bool

    public init(target: ReplayTarget, ratePerSecond: Double? = nil, window: Int = 256, dropUserID: Bool = false) {
        self.target = target
        self.ratePerSecond = ratePerSecond
        self.window = max(1, window)
        self.dropUserID = dropUserID
    }
}

/// What an import did. `published` counts messages the broker confirmed and routed.
public struct ImportReport: Sendable, Hashable, Codable {
    public var file: String
    public var target: String
    public var messages: Int
    public var published: Int
    /// Unroutable: published with `mandatory` and returned by the broker.
    public var returned: Int
    public var nacked: Int

    public var complete: Bool { published == messages }
}

/// Publishes the messages of an export file with publisher confirms and `mandatory`.
///
/// Every line is read and checked before anything is published, so a bad line stops the import
/// with its line number and nothing sent.
public enum Import {
    public static func run(amqpURL: String, file path: String, options: ImportOptions) async throws(MonitorError)
        -> ImportReport
    {
        let messages = try read(path)
        return try await publish(amqpURL: amqpURL, messages: messages, from: path, options: options)
    }

    /// Publishes messages (with the line each came from, for errors) to the options' target,
    /// confirmed and mandatory. `from` names where they came from in the report and in errors.
    public static func publish(amqpURL: String, messages: [(line: Int, message: ExportedMessage)], from path: String,
                               options: ImportOptions) async throws(MonitorError) -> ImportReport
    {
        var messages = messages
        let (exchange, fixedKey): (String, String?)
        switch options.target {
        case .queue(let name): (exchange, fixedKey) = ("", name)
        case .exchange(let name, let key): (exchange, fixedKey) = (name, key)
        case .origin, .originalExchange:
            throw .failed("import takes --to queue:NAME or exchange:NAME[:KEY], not \(options.target)")
        }
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            throw MonitorError(error)
        }
        let user = connection.configuration.username
        for index in messages.indices {
            if options.dropUserID {
                messages[index].message.properties.userID = nil
            } else if let id = messages[index].message.properties.userID, id != user {
                try? await connection.close()
                throw .refused("\(path) line \(messages[index].line): user_id '\(id)' is not the connection's user "
                    + "'\(user)', which RabbitMQ refuses; pass --drop-user-id to leave it out")
            }
        }
        do {
            try await checkTarget(options.target, on: connection)
            let channel = try await connection.openChannel()
            try await channel.confirmSelect()
            var events = try await channel.publisherEvents().makeAsyncIterator()
            var report = ImportReport(file: path, target: options.target.description, messages: messages.count,
                                      published: 0, returned: 0, nacked: 0)
            var pending = Set<UInt64>()
            func settle(until limit: Int) async throws {
                while pending.count > limit {
                    guard let event = try await events.next() else { throw AMQPClientError.channelClosed }
                    switch event {
                    case .returned: report.returned += 1
                    case .ack(let upTo, let multiple):
                        report.published += pending.remove(upTo: upTo, multiple: multiple)
                    case .nack(let upTo, let multiple):
                        report.nacked += pending.remove(upTo: upTo, multiple: multiple)
                    }
                }
            }
            let started = ContinuousClock.now
            for (sent, entry) in messages.enumerated() {
                if let rate = options.ratePerSecond, rate > 0 {
                    let due = started + .milliseconds(Int(Double(sent) / rate * 1000))
                    if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
                }
                let m = entry.message
                let sequence = try await channel.publish(
                    ByteBuffer(bytes: m.body), exchange: exchange, routingKey: fixedKey ?? m.routingKey, mandatory: true,
                    properties: m.properties)
                pending.insert(sequence)
                try await settle(until: options.window - 1)
            }
            try await settle(until: 0)
            // A returned message is acked too: it was confirmed, not routed.
            report.published -= report.returned
            try await channel.close()
            try await connection.close()
            return report
        } catch {
            try? await connection.close()
            throw MonitorError.from(error)
        }
    }

    /// The messages of an export file with their line numbers; blank lines are skipped.
    public static func read(_ path: String) throws(MonitorError) -> [(line: Int, message: ExportedMessage)] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .notFound("cannot open '\(path)'")
        }
        defer { try? handle.close() }
        var messages: [(line: Int, message: ExportedMessage)] = []
        var pending = Data()
        var number = 0
        func take(_ line: Data) throws(MonitorError) {
            number += 1
            let text = String(decoding: line, as: UTF8.self)
            guard !text.allSatisfy(\.isWhitespace) else { return }
            do {
                messages.append((number, try ExportedMessage.parse(line: text, number: number)))
            } catch {
                throw .failed("\(path) \(error)")
            }
        }
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw .failed("cannot read '\(path)': \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try take(pending[start..<newline])
                start = pending.index(after: newline)
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { try take(pending) }
        return messages
    }

    /// A passive declare of the target, so a missing one is one clear error before anything is sent.
    static func checkTarget(_ target: ReplayTarget, on connection: AMQPConnection) async throws {
        let channel = try await connection.openChannel()
        switch target {
        case .queue(let name): _ = try await channel.queueDeclare(name, passive: true)
        case .exchange(let name, _) where !name.isEmpty: try await channel.exchangeDeclare(name, passive: true)
        default: break
        }
        try await channel.close()
    }
}

extension Set<UInt64> {
    /// Removes `upTo` (or with `multiple` every member up to it) and says how many were removed.
    mutating func remove(upTo: UInt64, multiple: Bool) -> Int {
        guard multiple else { return remove(upTo) == nil ? 0 : 1 }
        let settled = filter { $0 <= upTo }
        subtract(settled)
        return settled.count
    }
}
