import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire

/// What the policy scenarios do on either broker. RabbitMQ applies a policy to existing queues
/// asynchronously and shows a queue's policy in /api/queues only after the queue's next
/// statistics event, so every observation that depends on it is polled until it is what the
/// scenario expects (or 20 s pass, and then whatever the broker shows goes into the transcript,
/// where the difference shows). The embedded broker answers at once.
extension AccessSide {
    static let settleTimeout: TimeInterval = 20

    /// PUT /api/policies/%2F/NAME or /api/operator-policies/%2F/NAME; returns the status.
    func putPolicy(_ name: String, pattern: String, definition: String, priority: Int = 0, applyTo: String = "all",
                   operator isOperator: Bool = false) async throws -> Int {
        let body = #"{"pattern":\#(try Self.quoted(pattern)),"definition":\#(definition),"priority":\#(priority),"#
            + #""apply-to":"\#(applyTo)"}"#
        let result = try await request("PUT", "/api/\(isOperator ? "operator-policies" : "policies")/%2F/\(name)",
                                       body: body)
        #expect(result.status == 201 || result.status == 204, "PUT policy \(name): \(result.status) \(result.body)")
        return result.status
    }

    func deletePolicy(_ name: String, operator isOperator: Bool = false) async throws -> Int {
        try await request("DELETE", "/api/\(isOperator ? "operator-policies" : "policies")/%2F/\(name)").status
    }

    /// The queue's policy, operator policy and effective definition from /api/queues, once the
    /// first two are the names expected.
    func queuePolicy(_ queue: String, policy: String?, operatorPolicy: String?) async throws -> String {
        let deadline = Date().addingTimeInterval(Self.settleTimeout)
        var last = ""
        while true {
            let result = try await request("GET", "/api/queues/%2F/\(queue)")
            let object = (try? result.json()) as? [String: Any] ?? [:]
            let fields = ["policy", "operator_policy", "effective_policy_definition"].map { object[$0] ?? "(absent)" }
            last = AccessTranscript.canonical(String(decoding: try JSONSerialization.data(
                withJSONObject: fields, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self))
            let names = [object["policy"] as? String, object["operator_policy"] as? String]
            let present = object["policy"] != nil && object["operator_policy"] != nil
            if present && names == [policy, operatorPolicy] || Date() > deadline { return last }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// An exchange's `policy` in /api/exchanges (RabbitMQ leaves the key out when there is none).
    func exchangePolicy(_ exchange: String) async throws -> String {
        let result = try await request("GET", "/api/exchanges/%2F/\(exchange)")
        let object = (try? result.json()) as? [String: Any] ?? [:]
        return (object["policy"] as? String) ?? "(absent)"
    }

    /// The queue's message count, once it is `expected` (dead-lettering reaches a queue
    /// asynchronously in RabbitMQ).
    func messageCount(_ channel: AMQPChannel, _ queue: String, expected: UInt32) async throws -> UInt32 {
        let deadline = Date().addingTimeInterval(Self.settleTimeout)
        while true {
            let count = try await channel.queueDeclare(queue, passive: true).messageCount
            if count == expected || Date() > deadline { return count }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// Every message of a queue, as body, x-first-death-reason and its x-death entries' queue,
    /// reason and count (the time and exchange lines differ by nature or by suffix, which the
    /// transcript replaces).
    static func drain(_ channel: AMQPChannel, _ queue: String) async throws -> [String] {
        var lines: [String] = []
        while let got = try await channel.get(queue, noAck: true) {
            let headers = got.message.properties.headers
            let deaths = (headers?["x-death"]?.arrayValue ?? []).compactMap(\.tableValue).map { death in
                "\(death["queue"]?.stringValue ?? "-")/\(death["reason"]?.stringValue ?? "-")/"
                    + "\(death["count"]?.int64Value ?? 0)"
            }
            lines.append("\(got.message.bodyString) first=\(headers?["x-first-death-reason"]?.stringValue ?? "-") "
                + "deaths=\(deaths)")
        }
        return lines
    }

    static func quoted(_ text: String) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), as: UTF8.self)
    }

    /// A list response cut down to this run's objects (other tests share the RabbitMQ node), in
    /// the order the broker gave.
    static func ownEntries(_ result: HTTPResult, suffix: String) -> String {
        guard let list = (try? result.json()) as? [[String: Any]] else { return "\(result.status) \(result.body)" }
        let own = list.filter { ($0["name"] as? String)?.contains(suffix) ?? false }
        let data = (try? JSONSerialization.data(withJSONObject: own, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return "\(result.status) " + String(decoding: data, as: UTF8.self)
    }
}
