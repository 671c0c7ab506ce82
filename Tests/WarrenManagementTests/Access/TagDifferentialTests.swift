import Foundation
import NIOCore
import Testing
import WarrenClient

/// Every tag against every class of management endpoint (read, write, users, permissions,
/// definitions, nodes), on RabbitMQ 3.10.8 and on the embedded broker: statuses and bodies
/// must be the same.
@Suite(.enabled(if: RabbitNode.isAvailable,
                "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
struct TagDifferentialTests {
    /// administrator last: it may delete the queue the others try to.
    static let tags = ["monitoring", "policymaker", "management", "impersonator", "", "administrator"]

    @Test func everyTagAgainstEveryEndpointClass() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ach = try await admin.openChannel()
            try await ach.queueDeclare("acc-tag-q\(s)")
            for tag in Self.tags {
                let user = "acc-\(tag.isEmpty ? "none" : tag)\(s)"
                try await side.createUser(user, tags: tag)
                // Half the users get permissions on /, restricted to their own names.
                let permitted = tag == "management" || tag == "policymaker"
                if permitted {
                    try await side.setPermissions(user, configure: "^acc-own-", write: ".*", read: "^acc-own-")
                }
                for (method, path, body) in Self.requests(user: user, suffix: s) {
                    let result = try await side.request(method, path, body: body, as: user, password: "pw")
                    t.record("\(tag.isEmpty ? "none" : tag) \(method) \(path)", Self.filtered(result, suffix: s))
                    if method == "PUT" && path.hasPrefix("/api/vhosts/") && result.status < 300 {
                        _ = try await side.request("DELETE", path)
                    }
                }
            }
            t.record("acc-evil made by the administrator only",
                     Self.filtered(try await side.request("GET", "/api/users/acc-evil\(s)"), suffix: s))
            for tag in Self.tags { try await side.deleteUsers(["acc-\(tag.isEmpty ? "none" : tag)\(s)"]) }
            try await side.deleteUsers(["acc-evil\(s)", "acc-made\(s)"])
            try await side.cleanup(admin, queues: ["acc-tag-q\(s)", "acc-own-m\(s)"], exchanges: [])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    @Test func loginFailuresRevealNothing() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            try await side.createUser("acc-real\(s)", tags: "monitoring")
            t.record("wrong password", try await side.request("GET", "/api/whoami", as: "acc-real\(s)", password: "nope"))
            t.record("no such user", try await side.request("GET", "/api/whoami", as: "acc-ghost\(s)", password: "nope"))
            t.record("right password", try await side.request("GET", "/api/whoami", as: "acc-real\(s)", password: "pw"))
            try await side.deleteUsers(["acc-real\(s)"])
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    @Test func permissionEndpoints() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let user = "acc-perm\(s)"
            try await side.createUser(user, tags: "")
            let full = #"{"configure":".*","write":".*","read":".*"}"#
            let requests: [(String, String, String?)] = [
                ("GET", "/api/permissions/%2F/\(user)", nil),
                ("GET", "/api/users/\(user)/permissions", nil),
                ("PUT", "/api/permissions/%2F/\(user)", #"{"configure":"^a","write":"^b","read":"^c"}"#),
                ("PUT", "/api/permissions/%2F/\(user)", full),
                ("GET", "/api/permissions/%2F/\(user)", nil),
                ("GET", "/api/users/\(user)/permissions", nil),
                ("PUT", "/api/permissions/%2F/\(user)", #"{"configure":"^a"}"#),
                ("PUT", "/api/permissions/%2F/acc-ghost\(s)", full),
                ("PUT", "/api/permissions/acc-novhost\(s)/\(user)", full),
                ("GET", "/api/topic-permissions/%2F/\(user)", nil),
                ("PUT", "/api/topic-permissions/%2F/\(user)", #"{"exchange":"amq.topic","write":"^a","read":""}"#),
                ("PUT", "/api/topic-permissions/%2F/\(user)", #"{"exchange":"amq.topic","write":"^b","read":""}"#),
                ("PUT", "/api/topic-permissions/%2F/\(user)", #"{"write":"^b","read":""}"#),
                ("GET", "/api/topic-permissions/%2F/\(user)", nil),
                ("GET", "/api/users/\(user)/topic-permissions", nil),
                ("DELETE", "/api/topic-permissions/%2F/\(user)", nil),
                ("DELETE", "/api/topic-permissions/%2F/\(user)", nil),
                ("DELETE", "/api/permissions/%2F/\(user)", nil),
                ("DELETE", "/api/permissions/%2F/\(user)", nil),
                ("GET", "/api/users/acc-ghost\(s)/permissions", nil),
            ]
            for (method, path, body) in requests {
                t.record("\(method) \(path) \(body ?? "")", try await side.request(method, path, body: body))
            }
            try await side.setPermissions(user, configure: ".*", write: ".*", read: ".*")
            try await side.deleteUsers([user])
            t.record("permissions of a deleted user",
                     Self.filtered(try await side.request("GET", "/api/permissions"), suffix: s))
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// One request of each class a tag may or may not be allowed.
    static func requests(user: String, suffix s: String) -> [(String, String, String?)] {
        [
            ("GET", "/api/whoami", nil),
            ("GET", "/api/overview?columns=cluster_name", nil),
            ("GET", "/api/queues?columns=name", nil),
            ("GET", "/api/queues/%2F?columns=name", nil),
            ("GET", "/api/queues/%2F/acc-tag-q\(s)?columns=name", nil),
            ("GET", "/api/exchanges/%2F/amq.direct?columns=name", nil),
            ("GET", "/api/vhosts?columns=name", nil),
            ("GET", "/api/vhosts/%2F", nil),
            ("GET", "/api/nodes?columns=type", nil),
            ("GET", "/api/users?columns=name", nil),
            ("GET", "/api/users/\(user)", nil),
            ("GET", "/api/permissions?columns=user", nil),
            ("GET", "/api/topic-permissions", nil),
            ("GET", "/api/definitions?columns=rabbit_version", nil),
            ("PUT", "/api/users/acc-evil\(s)", #"{"password":"x","tags":"administrator"}"#),
            ("PUT", "/api/permissions/%2F/\(user)", #"{"configure":".*","write":".*","read":".*"}"#),
            ("PUT", "/api/vhosts/acc-vhost\(s)", nil),
            ("DELETE", "/api/queues/%2F/acc-tag-q\(s)", nil),
            ("DELETE", "/api/queues/%2F/acc-tag-q\(s)/contents", nil),
            ("POST", "/api/queues/%2F/acc-tag-q\(s)/get", #"{"count":1,"ackmode":"ack_requeue_true","encoding":"auto"}"#),
            ("PUT", "/api/queues/%2F/acc-own-m\(s)", "{}"),
            ("DELETE", "/api/queues/%2F/acc-own-m\(s)", nil),
            ("PUT", "/api/exchanges/%2F/acc-other-x\(s)", #"{"type":"direct"}"#),
            ("POST", "/api/bindings/%2F/e/amq.direct/q/acc-tag-q\(s)", #"{"routing_key":"k"}"#),
            ("POST", "/api/exchanges/%2F/amq.default/publish",
             #"{"routing_key":"acc-tag-q\#(s)","payload":"m","payload_encoding":"string","properties":{}}"#),
        ]
    }

    /// Fields that say who may see what; the rest (statistics, hashes, node names) differs
    /// between any two brokers.
    static let kept: Set<String> = ["name", "tags", "user", "vhost", "configure", "write", "read", "exchange",
                                    "error", "reason"]

    /// Lists cut down to this run's objects (and guest's and /), so that what other tests leave
    /// on the shared node does not count, each object to the fields in `kept`, duplicates
    /// dropped; an object without any of them (overview, node, definitions) to nothing.
    static func filtered(_ result: HTTPResult, suffix s: String) -> HTTPResult {
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.body.utf8), options: [.fragmentsAllowed])
        else { return result }
        func trim(_ item: Any) -> Any {
            guard let dict = item as? [String: Any] else { return item }
            return dict.filter { kept.contains($0.key) }
        }
        func keep(_ item: Any) -> Bool {
            guard let dict = item as? [String: Any] else { return true }
            let values = ["name", "user"].compactMap { dict[$0] as? String }
            return values.contains { $0.contains(s) || $0 == "guest" || $0 == "/" }
        }
        func canonical(_ value: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        var copy = result
        if let list = object as? [Any] {
            copy.body = "[" + Set(list.filter(keep).map { canonical(trim($0)) }).sorted().joined(separator: ",") + "]"
        } else {
            copy.body = canonical(trim(object))
        }
        return copy
    }
}
