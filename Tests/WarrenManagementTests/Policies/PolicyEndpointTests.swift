import Foundation
import Testing

/// Policies on the embedded broker alone (the differential suites compare them with RabbitMQ
/// when a node is there): definitions import and export, and a policy applied at once to a
/// queue that already exists.
@Suite struct PolicyEndpointTests {
    @Test func definitionsCarryPoliciesBothWays() async throws {
        try await EmbeddedManagement.with { m in
            let definitions = #"""
                {"vhosts":[{"name":"/"}],
                 "policies":[{"vhost":"/","name":"capped","pattern":"^capped\\.","apply-to":"queues",
                              "definition":{"max-length":2},"priority":4}],
                 "queues":[{"name":"capped.one","vhost":"/","durable":true,"auto_delete":false,"arguments":{}}]}
                """#
            let imported = try await m.request("POST", "/api/definitions", body: definitions)
            #expect(imported.status == 204, "\(imported.body)")
            let policies = try await m.list("/api/policies")
            #expect(policies.map { $0["name"] as? String } == ["capped"])
            #expect(policies.first?["priority"] as? Int == 4)
            let queue = try await m.object("/api/queues/%2F/capped.one")
            #expect(queue["policy"] as? String == "capped")
            #expect((queue["effective_policy_definition"] as? [String: Any])?["max-length"] as? Int == 2)
            let exported = try await m.object("/api/definitions")
            let exportedPolicies = try #require(exported["policies"] as? [[String: Any]])
            #expect(exportedPolicies.map { $0["name"] as? String } == ["capped"])
            #expect(exportedPolicies.first?["apply-to"] as? String == "queues")

            let invalid = #"{"policies":[{"vhost":"/","name":"bad","pattern":"x","definition":{"max-length":-1}}]}"#
            let refused = try await m.request("POST", "/api/definitions", body: invalid)
            #expect(refused.status == 400)
            #expect(refused.body.contains("-1 is not a valid maximum length"), "\(refused.body)")
        }
    }

    @Test func aNewPolicyTruncatesAnExistingQueueAndItsDeletionLiftsTheLimit() async throws {
        try await EmbeddedManagement.with { m in
            #expect(try await m.request("PUT", "/api/queues/%2F/backlog", body: "{}").status == 201)
            func publish(_ n: Int) async throws {
                let body = #"{"routing_key":"backlog","payload":"m\#(n)","payload_encoding":"string","properties":{}}"#
                _ = try await m.request("POST", "/api/exchanges/%2F/amq.default/publish", body: body)
            }
            for n in 0..<5 { try await publish(n) }
            let put = try await m.request("PUT", "/api/policies/%2F/trim",
                                          body: #"{"pattern":"^backlog$","definition":{"max-length":2}}"#)
            #expect(put.status == 201)
            #expect(try await m.object("/api/queues/%2F/backlog")["messages"] as? Int == 2)
            #expect(try await m.request("DELETE", "/api/policies/%2F/trim").status == 204)
            for n in 5..<8 { try await publish(n) }
            let queue = try await m.object("/api/queues/%2F/backlog")
            #expect(queue["messages"] as? Int == 5)
            #expect(queue["policy"] is NSNull)
        }
    }
}
