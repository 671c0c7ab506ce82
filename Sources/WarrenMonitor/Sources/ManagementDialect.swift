import Foundation

/// What a management response describes, for ``ManagementDialect/adapt(_:as:)``.
public enum ManagementResourceKind: Sendable, Hashable {
    case overview, node, vhost, queue, exchange, binding, consumer, connection
}

/// How one broker's management API names what Warren's model reads. The model reads RabbitMQ's
/// names; a dialect rewrites a response object into them before the model sees it, and turns the
/// model's names back into the broker's for requests (`sort=`, `columns=`). Chosen by
/// ``BrokerIdentity/dialect``.
public struct ManagementDialect: Sendable, Hashable {
    /// Queue fields: RabbitMQ's name to this broker's, where they differ.
    let queueFields: [String: String]
    /// `message_stats` reports `deliver`, `get` and `get_no_ack` but not their sum `deliver_get`.
    let sumsDeliverGet: Bool

    /// RabbitMQ, and Warren's embedded broker, which answers as RabbitMQ does.
    public static let rabbitmq = ManagementDialect(queueFields: [:], sumsDeliverGet: false)

    /// LavinMQ 1.x: `ready`/`unacked` and their bytes (`ready_bytes`, `unacked_bytes`) for
    /// RabbitMQ's `messages_ready`/`messages_unacknowledged`/`message_bytes_*`; no `deliver_get`.
    public static let lavinmq = ManagementDialect(
        queueFields: ["messages_ready": "ready", "messages_unacknowledged": "unacked",
                      "message_bytes_ready": "ready_bytes", "message_bytes_unacknowledged": "unacked_bytes"],
        sumsDeliverGet: true)

    /// The broker's name of a queue field the model names as RabbitMQ does (a `columns=` entry
    /// or `sort=` key, e.g. `messages_ready`).
    public func queueField(_ name: String) -> String { queueFields[name] ?? name }

    /// One response object in RabbitMQ's names.
    public func adapt(_ json: JSON, as kind: ManagementResourceKind) -> JSON {
        guard (sumsDeliverGet || !queueFields.isEmpty), case .object(var object) = json else { return json }
        if kind == .queue {
            for (ours, theirs) in queueFields where object[ours] == nil {
                if let value = object[theirs] { object[ours] = value }
                if let details = object[theirs + "_details"] { object[ours + "_details"] = details }
            }
            // RabbitMQ's message_bytes is ready + unacked (what x-max-length-bytes limits).
            if object["message_bytes"] == nil, let ready = object["message_bytes_ready"]?.int,
               let unacked = object["message_bytes_unacknowledged"]?.int
            {
                object["message_bytes"] = .number(Double(ready + unacked))
            }
        }
        if sumsDeliverGet, case .object(var stats)? = object["message_stats"], stats["deliver_get"] == nil {
            let parts = ["deliver", "get", "get_no_ack"].filter { stats[$0]?.int != nil }
            if !parts.isEmpty {
                stats["deliver_get"] = .number(Double(parts.reduce(0) { $0 + (stats[$1]?.int ?? 0) }))
                let rates = parts.compactMap { stats[$0 + "_details"]?["rate"]?.double }
                if rates.count == parts.count {
                    stats["deliver_get_details"] = .object(["rate": .number(rates.reduce(0, +))])
                }
                object["message_stats"] = .object(stats)
            }
        }
        return .object(object)
    }
}
