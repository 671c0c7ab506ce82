import Foundation
import NIOCore
import WarrenClient
import WarrenWire

/// How to export a queue.
public struct ExportOptions: Sendable {
    /// Take the messages (ack each once its line is on disk) instead of peeking.
    public var consume: Bool
    /// At most this many messages (besides the queue's length at the start).
    public var limit: Int?
    /// Peek even where peeking has side effects (see ``Peek/check(_:queue:force:)``).
    public var force: Bool
    /// Replace the file if it exists.
    public var overwrite: Bool
    /// With `consume`: messages written between two syncs of the file (and acks).
    public var syncEvery: Int
    /// Only the messages these match are written (and, with `consume`, taken); `limit` counts
    /// the messages looked at.
    public var filters: [ReplayFilter]

    public init(consume: Bool = false, limit: Int? = nil, force: Bool = false, overwrite: Bool = false,
                syncEvery: Int = 500, filters: [ReplayFilter] = []) {
        self.consume = consume
        self.limit = limit
        self.filters = filters
        self.force = force
        self.overwrite = overwrite
        self.syncEvery = max(1, syncEvery)
    }
}

/// What an export did.
public struct ExportReport: Sendable, Hashable, Codable {
    public var queue: String
    public var file: String
    public var exported: Int
    /// True when the exported messages were taken from the queue.
    public var consumed: Bool
    public var warnings: [String]

    public init(queue: String, file: String, exported: Int, consumed: Bool, warnings: [String] = []) {
        self.queue = queue
        self.file = file
        self.exported = exported
        self.consumed = consumed
        self.warnings = warnings
    }
}

/// Writes a queue's messages to a file in the export format (docs/export-format.md).
///
/// By default it peeks: `basic.get` without ack, then the channel is closed, which puts every
/// message back in order (RabbitMQ marks them redelivered), as ``Peek`` does. With `consume`, a
/// message is acked only after its line was written and the file synced to disk; if anything
/// fails in between, the broker requeues the unacked messages, so at worst a message is both in
/// the file and still in the queue, never in neither.
public enum Export {
    public static func run(amqpURL: String, queue: String, to path: String, options: ExportOptions = ExportOptions(),
                           queueInfo: QueueInfo?) async throws(MonitorError) -> ExportReport
    {
        var warnings = options.consume ? [] : try Peek.check(queue, queue: queueInfo, force: options.force)
        let connection: AMQPConnection
        do {
            connection = try await AMQPConnection.connect(to: amqpURL)
        } catch {
            throw MonitorError(error)
        }
        do {
            let channel = try await connection.openChannel()
            let length = Int(try await channel.queueDeclare(queue, passive: true).messageCount)
            let writer = try ExportWriter(path: path, overwrite: options.overwrite)
            let bound = min(length, options.limit ?? .max)
            var exported = 0
            var looked = 0
            var unacked: [UInt64] = []
            let readsBody = options.filters.contains(where: \.readsBody)
            do {
                while looked < bound, let got = try await channel.get(queue, noAck: false) {
                    looked += 1
                    let m = got.message
                    if !options.filters.isEmpty {
                        let facts = MessageFacts(properties: m.properties, body: readsBody ? m.body : nil)
                        // One left out stays unacked: closing the channel puts it back in order.
                        guard options.filters.allSatisfy({ $0.matches(facts) }) else { continue }
                    }
                    try writer.write(ExportedMessage(exchange: m.exchange, routingKey: m.routingKey,
                                                     redelivered: m.redelivered, properties: m.properties,
                                                     body: Array(m.body.readableBytesView)))
                    exported += 1
                    unacked.append(m.deliveryTag)
                    if options.consume, unacked.count >= options.syncEvery {
                        try writer.sync()
                        try await ack(unacked, multiple: options.filters.isEmpty, on: channel)
                        unacked = []
                    }
                }
                try writer.sync()
                if options.consume { try await ack(unacked, multiple: options.filters.isEmpty, on: channel) }
                try writer.close()
            } catch {
                try? writer.close()
                throw error
            }
            // Without consume, closing the channel returns the messages to the queue in order.
            try await channel.close()
            try await connection.close()
            if !options.consume && exported > 0 { warnings.insert(Peek.requeueNote(connection), at: 0) }
            return ExportReport(queue: queue, file: path, exported: exported, consumed: options.consume,
                                warnings: warnings)
        } catch {
            try? await connection.close()
            throw MonitorError.from(error)
        }
    }
}

extension Export {
    /// Acks exactly these deliveries: with `multiple` (nothing was ever left out) one ack for
    /// all, else one each, so that no message left out is acked with them.
    static func ack(_ tags: [UInt64], multiple: Bool, on channel: AMQPChannel) async throws {
        guard let last = tags.last else { return }
        if multiple {
            try await channel.ack(deliveryTag: last, multiple: true)
        } else {
            for tag in tags { try await channel.ack(deliveryTag: tag) }
        }
    }
}

/// Appends export lines to a file, buffered; ``sync()`` puts what was written on disk.
public final class ExportWriter {
    private let handle: FileHandle
    private var buffer = Data()
    public let path: String

    /// Creates the file; refuses an existing one unless `overwrite`.
    public init(path: String, overwrite: Bool) throws(MonitorError) {
        let flags = O_WRONLY | O_CREAT | O_TRUNC | (overwrite ? 0 : O_EXCL)
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw .needsForce("'\(path)' exists; pass --overwrite to replace it") }
            throw .failed("cannot create '\(path)': \(String(cString: strerror(code)))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.path = path
    }

    public func write(_ message: ExportedMessage) throws(MonitorError) {
        do {
            buffer.append(contentsOf: try message.line().utf8)
        } catch {
            throw .failed("cannot encode a message: \(error)")
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes the buffered lines to the file.
    public func flush() throws(MonitorError) {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw .failed("cannot write '\(path)': \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the buffered lines and waits until the file is on disk (fsync).
    public func sync() throws(MonitorError) {
        try flush()
        do {
            try handle.synchronize()
        } catch {
            throw .failed("cannot sync '\(path)': \(error.localizedDescription)")
        }
    }

    public func close() throws(MonitorError) {
        try flush()
        do {
            try handle.close()
        } catch {
            throw .failed("cannot close '\(path)': \(error.localizedDescription)")
        }
    }
}
