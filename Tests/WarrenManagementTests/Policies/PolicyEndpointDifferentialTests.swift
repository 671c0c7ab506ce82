import Foundation
import Testing
import WarrenClient

/// /api/policies and /api/operator-policies on RabbitMQ 3.10.8 and on the embedded broker:
/// statuses, bodies, error texts and which tags may do what.
@Suite(.enabled(if: RabbitNode.isAvailable,
                "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
struct PolicyEndpointDifferentialTests {
    @Test func answersAndRefusals() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let good = #"{"pattern":"^pe-\#(s)","definition":{"max-length":5,"dead-letter-exchange":"dlx"},"priority":3,"apply-to":"queues"}"#
            let requests: [(String, String, String?)] = [
                ("PUT", "/api/policies/%2F/pe-a\(s)", good),
                ("PUT", "/api/policies/%2F/pe-a\(s)", good),
                ("PUT", "/api/policies/%2F/pe-b\(s)", #"{"pattern":"^pe-b","definition":{"message-ttl":1000}}"#),
                ("PUT", "/api/policies/%2F/pe-c\(s)", #"{"pattern":"^pe-c","definition":{"expires":1000},"priority":1.5}"#),
                ("GET", "/api/policies/%2F/pe-a\(s)", nil),
                ("GET", "/api/policies/%2F/pe-c\(s)", nil),
                ("GET", "/api/policies/%2F/pe-missing\(s)", nil),
                ("GET", "/api/policies/pe-novhost\(s)", nil),
                ("PUT", "/api/policies/pe-novhost\(s)/p", #"{"pattern":"^p","definition":{"message-ttl":1}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"(","definition":{"message-ttl":1000}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"foo":1,"bar":"x"}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"message-ttl":-1,"max-length":-1,"zz":1}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"max-length":"x"}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"max-length":1.5}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"max-length":null}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"dead-letter-exchange":1}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"alternate-exchange":true}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"expires":0}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"overflow":"x"}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"queue-mode":"x"}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"message-ttl":1},"apply-to":"classic_queues"}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"message-ttl":1},"priority":"7"}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"a","definition":{"message-ttl":1},"priority":null}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":"(","definition":{"message-ttl":-1},"priority":"x","apply-to":"z"}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"pattern":1,"definition":{"message-ttl":1}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", #"{"definition":{"message-ttl":1}}"#),
                ("PUT", "/api/policies/%2F/pe-bad\(s)", "{}"),
                ("GET", "/api/policies/%2F/pe-bad\(s)", nil),
                ("PUT", "/api/operator-policies/%2F/pe-op\(s)", #"{"pattern":"^pe","definition":{"max-length":2,"dead-letter-exchange":"x"}}"#),
                ("PUT", "/api/operator-policies/%2F/pe-op\(s)", #"{"pattern":"^pe","definition":{"max-length":-2}}"#),
                ("PUT", "/api/operator-policies/%2F/pe-op\(s)", #"{"pattern":"^pe-\#(s)","definition":{"max-length":2},"apply-to":"queues","priority":1}"#),
                ("PUT", "/api/operator-policies/%2F/pe-op\(s)", #"{"pattern":"^pe-\#(s)","definition":{"max-length":3},"apply-to":"queues","priority":1}"#),
                ("GET", "/api/operator-policies/%2F/pe-op\(s)", nil),
            ]
            for (method, path, body) in requests {
                t.record("\(method) \(path) \(body ?? "")", try await side.request(method, path, body: body))
            }
            // Sorted by priority (then vhost and name), as RabbitMQ sorts them.
            for path in ["/api/policies", "/api/policies/%2F", "/api/operator-policies", "/api/operator-policies/%2F"] {
                t.record("GET \(path): " + AccessSide.ownEntries(try await side.request("GET", path), suffix: s))
            }
            t.record("definitions: " + (try await Self.exportedPolicies(side, suffix: s)))
            for (path, name) in [("policies", "pe-a"), ("policies", "pe-b"), ("policies", "pe-c"), ("operator-policies", "pe-op")] {
                t.record("DELETE \(name)", try await side.request("DELETE", "/api/\(path)/%2F/\(name)\(s)"))
            }
            t.record("DELETE again", try await side.request("DELETE", "/api/policies/%2F/pe-a\(s)"))
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// Changing policies is for policymakers (in their vhosts) and administrators; operator
    /// policies, read one by one or changed, for administrators only; lists for every
    /// management user, of their vhosts.
    @Test func whichTagMayDoWhat() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            _ = try await side.putPolicy("pt-p\(s)", pattern: "^pt-\(s)", definition: #"{"message-ttl":1000}"#)
            _ = try await side.putPolicy("pt-o\(s)", pattern: "^pt-\(s)", definition: #"{"max-length":9}"#, operator: true)
            let users = [("monitoring", "monitoring", false), ("management", "management", true),
                         ("policymaker", "policymaker", true), ("policymaker-elsewhere", "policymaker", false),
                         ("administrator", "administrator", false)]
            for (label, tag, permitted) in users {
                let user = "pt-\(label)\(s)"
                try await side.createUser(user, tags: tag)
                if permitted { try await side.setPermissions(user, configure: ".*", write: ".*", read: ".*") }
                let body = #"{"pattern":"^pt-\#(s)-\#(label)","definition":{"message-ttl":1}}"#
                let requests: [(String, String, String?)] = [
                    ("GET", "/api/policies", nil), ("GET", "/api/policies/%2F", nil),
                    ("GET", "/api/policies/%2F/pt-p\(s)", nil),
                    ("PUT", "/api/policies/%2F/pt-\(label)\(s)", body),
                    ("DELETE", "/api/policies/%2F/pt-\(label)\(s)", nil),
                    ("GET", "/api/operator-policies", nil), ("GET", "/api/operator-policies/%2F/pt-o\(s)", nil),
                    ("PUT", "/api/operator-policies/%2F/pt-\(label)\(s)", body),
                    ("DELETE", "/api/operator-policies/%2F/pt-\(label)\(s)", nil),
                ]
                for (method, path, body) in requests {
                    let result = try await side.request(method, path, body: body, as: user, password: "pw")
                    if method == "GET" && !path.contains("pt-") {
                        t.record("\(label) \(method) \(path): " + AccessSide.ownEntries(result, suffix: s))
                    } else {
                        t.record("\(label) \(method) \(path)", result)
                    }
                }
                try await side.deleteUsers([user])
            }
            _ = try await side.deletePolicy("pt-p\(s)")
            _ = try await side.deletePolicy("pt-o\(s)", operator: true)
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// The policies of this run in GET /api/definitions (operator policies are not exported).
    static func exportedPolicies(_ side: AccessSide, suffix: String) async throws -> String {
        let result = try await side.request("GET", "/api/definitions")
        let object = (try? result.json()) as? [String: Any] ?? [:]
        let own = (object["policies"] as? [[String: Any]] ?? []).filter { ($0["name"] as? String)?.contains(suffix) ?? false }
            .sorted { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        let data = try JSONSerialization.data(withJSONObject: own, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + " operator_policies key: \(object["operator_policies"] != nil)"
    }
}
