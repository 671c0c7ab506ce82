import Foundation

/// Dead letters of one cause: the queue they died in first, why, and the error they carry.
public struct TriageGroup: Sendable, Hashable, Codable {
    /// The queue first dead-lettered from; nil when `x-death` does not say.
    public var source: String?
    /// rejected, expired, maxlen, delivery_limit, or nil without `x-death`.
    public var reason: String?
    /// The first error header present (see ``Triage/defaultErrorHeaders``) and its value.
    public var errorHeader: String?
    public var error: String?
    public var count: Int
    public var firstDeath: Date?
    public var lastDeath: Date?

    /// The filter that selects exactly this group's messages (for listing and replaying them).
    public var filters: [ReplayFilter] {
        var filters: [ReplayFilter] = []
        if let source { filters.append(.sourceQueue(source)) }
        if let reason { filters.append(.reason(reason)) }
        if let errorHeader, let error { filters.append(.header(errorHeader, error)) }
        return filters
    }

    /// The filter as the filter language writes it.
    public var expression: String { filters.map(\.description).joined(separator: " ") }
}

/// Groups dead letters by cause.
public enum Triage {
    /// Headers frameworks put the failure in: Spring AMQP's republishing recoverer
    /// (x-exception-message, x-exception-stacktrace), MassTransit (MT-Fault-Message), NServiceBus
    /// (NServiceBus.ExceptionInfo.Message), and common hand-made ones.
    public static let defaultErrorHeaders = [
        "x-exception-message", "MT-Fault-Message", "NServiceBus.ExceptionInfo.Message", "x-error", "error",
        "exception", "x-exception",
    ]

    /// Groups messages by (source, reason, error); largest group first, then by source.
    public static func group(_ messages: [MessageFacts], errorHeaders: [String] = defaultErrorHeaders) -> [TriageGroup] {
        struct Key: Hashable {
            var source: String?
            var reason: String?
            var header: String?
            var error: String?
        }
        var groups: [Key: TriageGroup] = [:]
        var order: [Key] = []
        for message in messages {
            let history = message.history
            var key = Key(source: history.origin?.queue, reason: history.reason)
            for name in errorHeaders {
                if let value = message.headers[name] {
                    key.header = name
                    key.error = value.text
                    break
                }
            }
            let first = history.origin?.time
            let last = history.deaths.first?.time
            if var group = groups[key] {
                group.count += 1
                group.firstDeath = [group.firstDeath, first].compactMap { $0 }.min()
                group.lastDeath = [group.lastDeath, last].compactMap { $0 }.max()
                groups[key] = group
            } else {
                order.append(key)
                groups[key] = TriageGroup(source: key.source, reason: key.reason, errorHeader: key.header,
                                          error: key.error, count: 1, firstDeath: first, lastDeath: last)
            }
        }
        // Largest first; then by source and reason, the unknown ones last.
        func before(_ a: String?, _ b: String?) -> Bool? {
            switch (a, b) {
            case let (a?, b?): return a == b ? nil : a < b
            case (nil, nil): return nil
            case (nil, _): return false
            case (_, nil): return true
            }
        }
        return order.compactMap { groups[$0] }.sorted { a, b in
            if a.count != b.count { return a.count > b.count }
            return before(a.source, b.source) ?? before(a.reason, b.reason) ?? false
        }
    }
}
