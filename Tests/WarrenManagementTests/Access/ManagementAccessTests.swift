import Foundation
import NIOCore
import Testing
import WarrenBroker
import WarrenClient

/// The privilege escalations issue 15 reported, each against the embedded broker alone (the
/// differential suites compare the same requests with RabbitMQ).
@Suite struct ManagementAccessTests {
    static func monitoringUser(_ m: EmbeddedManagement) async throws {
        let created = try await m.request("PUT", "/api/users/watcher", body: #"{"password":"pw","tags":"monitoring"}"#)
        #expect(created.status == 201)
    }

    static func request(_ m: EmbeddedManagement, _ method: String, _ path: String, body: String? = nil,
                        as user: String = "watcher") async throws -> HTTPResult {
        try await HTTP.request(port: m.port, method, path, body: body, auth: HTTP.basic(user, "pw"))
    }

    /// It answered 201, and the new administrator could then do anything.
    @Test func aMonitoringUserCannotCreateAnAdministrator() async throws {
        try await EmbeddedManagement.with { m in
            try await Self.monitoringUser(m)
            let result = try await Self.request(m, "PUT", "/api/users/evil",
                                                body: #"{"password":"x","tags":"administrator"}"#)
            #expect(result.status == 401)
            #expect(result.body.contains("Not administrator user"))
            #expect(try await m.request("GET", "/api/users/evil").status == 404)
            for (method, path, body) in [("DELETE", "/api/users/guest", nil as String?),
                                         ("PUT", "/api/permissions/%2F/watcher", #"{"configure":".*","write":".*","read":".*"}"#),
                                         ("PUT", "/api/vhosts/mine", nil), ("GET", "/api/definitions", nil),
                                         ("POST", "/api/definitions", #"{"users":[]}"#)] {
                #expect(try await Self.request(m, method, path, body: body).status == 401, "\(method) \(path)")
            }
        }
    }

    /// It deleted queues in vhosts it had no permissions in.
    @Test func aMonitoringUserCannotDeleteQueues() async throws {
        try await EmbeddedManagement.with { m in
            try await Self.monitoringUser(m)
            #expect(try await m.request("PUT", "/api/queues/%2F/orders", body: "{}").status == 201)
            let delete = try await Self.request(m, "DELETE", "/api/queues/%2F/orders")
            #expect(delete.status == 401)
            #expect(delete.body.contains("User not authorised to access virtual host"))
            // With permissions that do not cover the queue, the AMQP check refuses it.
            _ = try await m.request("PUT", "/api/permissions/%2F/watcher", body: #"{"configure":"^mine","write":"","read":""}"#)
            let refused = try await Self.request(m, "DELETE", "/api/queues/%2F/orders")
            #expect(refused.status == 401)
            #expect(refused.body.contains("Access refused."))
            #expect(try await Self.request(m, "DELETE", "/api/queues/%2F/orders/contents").status == 401)
            #expect(try await m.request("GET", "/api/queues/%2F/orders").status == 200, "still there")
        }
    }

    @Test func managementUsersSeeOnlyTheirVhosts() async throws {
        try await EmbeddedManagement.with { m in
            #expect(try await m.request("PUT", "/api/vhosts/team").status == 201)
            #expect(try await m.request("PUT", "/api/queues/%2F/root-q", body: "{}").status == 201)
            #expect(try await m.request("PUT", "/api/queues/team/team-q", body: "{}").status == 201)
            _ = try await m.request("PUT", "/api/users/dev", body: #"{"password":"pw","tags":"management"}"#)
            _ = try await m.request("PUT", "/api/permissions/team/dev", body: #"{"configure":".*","write":".*","read":".*"}"#)
            let queues = try await Self.request(m, "GET", "/api/queues?columns=name", as: "dev")
            #expect(AccessTranscript.canonical(queues.body) == #"[{"name":"team-q"}]"#)
            let vhosts = try await Self.request(m, "GET", "/api/vhosts?columns=name", as: "dev")
            #expect(AccessTranscript.canonical(vhosts.body) == #"[{"name":"team"}]"#)
            #expect(try await Self.request(m, "GET", "/api/queues/%2F", as: "dev").status == 401)
            #expect(try await Self.request(m, "GET", "/api/nodes", as: "dev").status == 401)
            #expect(try await Self.request(m, "DELETE", "/api/queues/team/team-q", as: "dev").status == 204)
            // guest created team: it got full permissions there, as RabbitMQ grants its creator.
            let guest = try await m.request("GET", "/api/permissions/team/guest")
            #expect(guest.status == 200)
        }
    }

    @Test func aUserWithoutTagsMayNotUseTheAPIAndLoginFailuresLookAlike() async throws {
        try await EmbeddedManagement.with { m in
            _ = try await m.request("PUT", "/api/users/app", body: #"{"password":"pw","tags":""}"#)
            let untagged = try await Self.request(m, "GET", "/api/whoami", as: "app")
            #expect(untagged.status == 401 && untagged.body.contains("Not management user"))
            let wrong = try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("app", "nope"))
            let missing = try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("ghost", "nope"))
            #expect(wrong.status == 401 && missing.status == 401)
            #expect(wrong.body == missing.body)
        }
    }

    @Test func definitionsCarryPermissions() async throws {
        try await EmbeddedManagement.with { m in
            _ = try await m.request("PUT", "/api/users/app", body: #"{"password":"pw","tags":""}"#)
            _ = try await m.request("PUT", "/api/permissions/%2F/app", body: #"{"configure":"^a","write":"^b","read":"^c"}"#)
            _ = try await m.request("PUT", "/api/topic-permissions/%2F/app",
                                    body: #"{"exchange":"amq.topic","write":"^w","read":"^r"}"#)
            let exported = try await m.request("GET", "/api/definitions")
            let definitions = try #require(try exported.json() as? [String: Any])
            let permissions = try #require(definitions["permissions"] as? [[String: String]])
            #expect(permissions.contains { $0["user"] == "app" && $0["configure"] == "^a" && $0["read"] == "^c" })
            #expect((definitions["topic_permissions"] as? [[String: String]])?.first?["write"] == "^w")
            _ = try await m.request("DELETE", "/api/users/app")
            #expect(try await m.request("GET", "/api/permissions/%2F/app").status == 404)
            #expect(try await m.request("POST", "/api/definitions", body: exported.body).status == 204)
            let back = try await m.request("GET", "/api/permissions/%2F/app")
            #expect(AccessTranscript.canonical(back.body)
                    == #"{"configure":"^a","read":"^c","user":"app","vhost":"/","write":"^b"}"#)
        }
    }
}
