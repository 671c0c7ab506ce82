import Foundation
import WarrenWire

/// Why a message left its queue for the dead-letter exchange, as x-death spells it.
enum DeadLetterReason: String {
    case rejected, expired, maxlen
    case deliveryLimit = "delivery_limit"
}

extension VirtualHost {
    /// Republishes a message to its queue's dead-letter exchange, with the x-death header and
    /// the x-first-death-* headers that RabbitMQ 3.10 writes, routed by the dead-letter routing key
    /// or else by every key the message was published with (CC and BCC included). Without a DLX
    /// the message is dropped.
    func deadLetter(_ message: Message, from queue: BrokerQueue, reason: DeadLetterReason) {
        guard let dlxName = queue.settings.deadLetterExchange, let dlx = exchanges[dlxName] else { return }
        let deadLettered = Self.deadLetteredCopy(of: message, from: queue.name, reason: reason,
                                                 routingKey: queue.settings.deadLetterRoutingKey, exchange: dlxName)
        let targets = route(dlx, routingKeys: deadLettered.routes, headers: deadLettered.properties.headers)
        dlx.publishedIn += 1
        for target in targets where !Self.isCycle(deadLettered, into: target) {
            dlx.routedOut += 1
            _ = target.enqueue(deadLettered)
        }
    }

    /// RabbitMQ drops a dead-lettered message that would return to a queue it already died in,
    /// unless a client rejected it somewhere along the way (a rejection is a deliberate decision).
    private static func isCycle(_ message: Message, into queue: BrokerQueue) -> Bool {
        guard case .array(let deaths)? = message.properties.headers?["x-death"] else { return false }
        var sawQueue = false
        for case .table(let death) in deaths {
            if death["reason"]?.stringValue == DeadLetterReason.rejected.rawValue { return false }
            if death["queue"]?.stringValue == queue.name { sawQueue = true }
        }
        return sawQueue
    }

    /// A table with its top-level keys in bytewise order (duplicates keep their order).
    static func sortedKeys(_ table: FieldTable) -> FieldTable {
        let sorted = table.entries.enumerated().sorted { a, b in
            a.element.0 == b.element.0 ? a.offset < b.offset : a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8)
        }
        return FieldTable(sorted.map(\.element))
    }

    static func deadLetteredCopy(
        of message: Message, from queueName: String, reason: DeadLetterReason, routingKey: String?, exchange: String
    ) -> Message {
        var properties = message.properties
        var headers = properties.headers ?? FieldTable()
        var deaths: [FieldValue] = headers["x-death"]?.arrayValue ?? []
        // RabbitMQ writes the first x-death entry in its own key order, and every entry it adds or
        // updates later with the keys sorted.
        let sortKeys = !deaths.isEmpty

        if let index = deaths.firstIndex(where: {
            $0.tableValue?["queue"]?.stringValue == queueName && $0.tableValue?["reason"]?.stringValue == reason.rawValue
        }), var existing = deaths[index].tableValue {
            // Same queue and reason again: count it and move the entry to the front.
            existing["count"] = .int64((existing["count"]?.int64Value ?? 0) + 1)
            deaths.remove(at: index)
            deaths.insert(.table(Self.sortedKeys(existing)), at: 0)
        } else {
            var death: [(String, FieldValue)] = [
                ("count", .int64(1)),
                ("reason", .string(reason.rawValue)),
                ("queue", .string(queueName)),
                ("time", .timestamp(UInt64(Date().timeIntervalSince1970))),
                ("exchange", .string(message.exchange)),
                ("routing-keys", .array(message.routingKeys.map { .string($0) })),
            ]
            if let expiration = properties.expiration {
                death.append(("original-expiration", .string(expiration)))
            }
            let entry = FieldTable(death)
            deaths.insert(.table(sortKeys ? Self.sortedKeys(entry) : entry), at: 0)
        }
        // The per-message TTL is removed so the message does not expire again in the DLQ.
        properties.expiration = nil
        headers["x-death"] = .array(deaths)
        // A dead-letter routing key replaces the CC keys too, so the CC header goes.
        if routingKey != nil { headers = FieldTable(headers.entries.filter { $0.0 != "CC" }) }
        if headers["x-first-death-reason"] == nil {
            headers["x-first-death-reason"] = .string(reason.rawValue)
            headers["x-first-death-queue"] = .string(queueName)
            headers["x-first-death-exchange"] = .string(message.exchange)
        }
        // RabbitMQ 3.10 writes the headers of a dead-lettered message with their top-level keys
        // sorted bytewise (nested tables and arrays keep their order).
        properties.headers = Self.sortedKeys(headers)
        return message.withNewHeader(exchange: exchange, routingKey: routingKey ?? message.routingKey,
                                     properties: properties, routes: routingKey.map { [$0] } ?? message.routes)
    }
}
