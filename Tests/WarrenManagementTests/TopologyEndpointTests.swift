import Foundation
import Testing

extension ManagementTests {
    /// Declares and deletes, bindings, vhosts, users, definitions, and the list query parameters.
    @Suite struct TopologyEndpointTests {
        @Test func queuesAndExchangesCreatedOnceThenEquivalentThenDeleted() async throws {
            try await EmbeddedManagement.with { m in
                #expect(try await m.request("PUT", "/api/queues/%2F/orders", body: #"{"durable":true}"#).status == 201)
                #expect(try await m.request("PUT", "/api/queues/%2F/orders", body: #"{"durable":true}"#).status == 204)
                let inequivalent = try await m.request("PUT", "/api/queues/%2F/orders", body: #"{"durable":false}"#)
                #expect(inequivalent.status == 400)
                #expect(inequivalent.body.contains("inequivalent arg 'durable'"))
                // RabbitMQ's management API answers refusals of its AMQP operations with 401.
                #expect(try await m.request("PUT", "/api/queues/%2F/amq.x", body: "{}").status == 401)
                #expect(try await m.request("PUT", "/api/exchanges/%2F/ex", body: #"{"type":"topic"}"#).status == 201)
                #expect(try await m.request("PUT", "/api/exchanges/%2F/ex", body: #"{"type":"topic"}"#).status == 204)
                #expect(try await m.request("PUT", "/api/queues/nope/q", body: "{}").status == 404)
                #expect(try await m.request("DELETE", "/api/queues/%2F/orders").status == 204)
                #expect(try await m.request("DELETE", "/api/queues/%2F/orders").status == 404)
                #expect(try await m.request("DELETE", "/api/exchanges/%2F/ex").status == 204)
                #expect(try await m.request("GET", "/api/exchanges/%2F/ex").status == 404)
                #expect(try await m.object("/api/exchanges/%2F/amq.default")["name"] as? String == "")
            }
        }

        @Test func bindingsAreListedFromEverySide() async throws {
            try await EmbeddedManagement.with { m in
                _ = try await m.request("PUT", "/api/queues/%2F/q", body: "{}")
                _ = try await m.request("PUT", "/api/exchanges/%2F/a", body: #"{"type":"topic"}"#)
                _ = try await m.request("PUT", "/api/exchanges/%2F/b", body: #"{"type":"fanout"}"#)
                #expect(try await m.request("POST", "/api/bindings/%2F/e/a/q/q", body: #"{"routing_key":"k.#"}"#).status == 201)
                #expect(try await m.request("POST", "/api/bindings/%2F/e/a/e/b", body: #"{"routing_key":"x"}"#).status == 201)
                #expect(try await m.request("POST", "/api/bindings/%2F/e/a/q/missing", body: "{}").status == 404)
                #expect(try await m.list("/api/bindings/%2F").count == 3)
                #expect(try await m.list("/api/exchanges/%2F/a/bindings/source").count == 2)
                #expect(try await m.list("/api/exchanges/%2F/b/bindings/destination").count == 1)
                #expect(try await m.list("/api/queues/%2F/q/bindings").map { $0["source"] as? String } == ["", "a"])
                let between = try await m.list("/api/bindings/%2F/e/a/q/q")
                // The properties key is itself escaped ("k.%23"); in a URL it is escaped once more.
                let key = try #require(between.first?["properties_key"] as? String)
                #expect(key == "k.%23")
                let path = try #require(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
                #expect(try await m.request("DELETE", "/api/bindings/%2F/e/a/q/q/\(path)").status == 204)
                #expect(try await m.list("/api/bindings/%2F/e/a/q/q").isEmpty)
            }
        }

        @Test func pagingSortingFilteringAndColumns() async throws {
            try await EmbeddedManagement.with { m in
                for n in 1...25 { _ = try await m.request("PUT", "/api/queues/%2F/item-\(String(format: "%02d", n))", body: "{}") }
                _ = try await m.request("PUT", "/api/queues/%2F/other", body: "{}")
                _ = try await m.request("POST", "/api/exchanges/%2F/amq.default/publish",
                                        body: #"{"routing_key":"other","payload":"x","properties":{}}"#)
                let page = try await m.object("/api/queues?page=2&page_size=10&name=item")
                #expect(page["filtered_count"] as? Int == 25)
                #expect(page["total_count"] as? Int == 26)
                #expect(page["page_count"] as? Int == 3)
                #expect(page["item_count"] as? Int == 10)
                let names = (page["items"] as? [[String: Any]])?.map { $0["name"] as? String }
                #expect(names?.first == "item-11")
                let regex = try await m.list("/api/queues?name=^item-0[1-3]$&use_regex=true&columns=name")
                #expect(regex.map { $0["name"] as? String } == ["item-01", "item-02", "item-03"])
                let columnCounts = regex.map(\.count)
                #expect(columnCounts == [1, 1, 1])
                let reversed = try await m.list("/api/queues?sort=name&sort_reverse=true&columns=name,message_stats.publish")
                #expect(reversed.first?["name"] as? String == "other")
                #expect((reversed.first?["message_stats"] as? [String: Any])?.keys.sorted() == ["publish"])
                let lean = try await m.list("/api/queues?disable_stats=true&enable_queue_totals=true")
                #expect(lean.first?["message_stats"] == nil)
                #expect(lean.last?["messages"] as? Int == 1)
                let paginated = try await m.object("/api/queues?pagination=true&page_size=500")
                #expect(paginated["page"] as? Int == 1)
            }
        }

        /// Users carry RabbitMQ's password_hash both ways: a hash RabbitMQ made logs its user in,
        /// and the hash shown is the one given. guest stays loopback-only when replaced.
        @Test func usersWithRabbitMQsPasswordHashes() async throws {
            let rabbitGuest = "azw5WsaRjnJYHofN+TJCHAf7D0BcPaSJIzTVOLRrkpPpQ61M"  // "guest", from RabbitMQ 3.10.8
            try await EmbeddedManagement.with { m in
                let put = try await m.request("PUT", "/api/users/moved", body: #"""
                    {"password_hash":"\#(rabbitGuest)","hashing_algorithm":"rabbit_password_hashing_sha256","tags":"administrator"}
                    """#)
                #expect(put.status == 201)
                #expect(try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("moved", "guest")).status == 200)
                #expect(try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("moved", "nope")).status == 401)
                let shown = try #require(try await m.request("GET", "/api/users/moved").json() as? [String: Any])
                #expect(shown["password_hash"] as? String == rabbitGuest)
                #expect(shown["hashing_algorithm"] as? String == "rabbit_password_hashing_sha256")

                let md5 = try await m.request("PUT", "/api/users/x", body: #"{"password_hash":"\#(rabbitGuest)","hashing_algorithm":"rabbit_password_hashing_md5"}"#)
                #expect(md5.status == 400)
                #expect(try await m.request("PUT", "/api/users/x", body: #"{"password_hash":"AAAA"}"#).status == 400)
                #expect(try await m.request("PUT", "/api/users/x", body: #"{"tags":""}"#).status == 400)

                // A RabbitMQ export's users import with their passwords; guest is replaced but
                // keeps its loopback-only restriction.
                let export = #"{"users":[{"name":"guest","password_hash":"\#(rabbitGuest)","hashing_algorithm":"rabbit_password_hashing_sha256","tags":["administrator"]}]}"#
                #expect(try await m.request("POST", "/api/definitions", body: export).status == 204)
                let users = try #require(try await m.request("GET", "/api/users").json() as? [[String: Any]])
                #expect(users.first { $0["name"] as? String == "guest" }?["password_hash"] as? String == rabbitGuest)
                let guest = await m.broker.authenticate(user: "guest", password: "guest")
                #expect(guest?.loopbackOnly == true)
            }
        }

        @Test func vhostsUsersAndDefinitions() async throws {
            try await EmbeddedManagement.with { m in
                #expect(try await m.request("PUT", "/api/vhosts/staging", body: "{}").status == 201)
                #expect(try await m.request("PUT", "/api/users/ops", body: #"{"password":"pw","tags":"management"}"#).status == 201)
                #expect(try await m.request("PUT", "/api/permissions/staging/ops",
                                            body: #"{"configure":".*","write":".*","read":".*"}"#).status == 201)
                let ops = try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("ops", "pw"))
                #expect(ops.status == 200)
                let definitions = #"""
                {"vhosts":[{"name":"staging"}],
                 "exchanges":[{"name":"orders","vhost":"staging","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
                 "queues":[{"name":"orders.eu","vhost":"staging","durable":true,"auto_delete":false,"arguments":{"x-max-length":100}}],
                 "bindings":[{"source":"orders","vhost":"staging","destination":"orders.eu","destination_type":"queue","routing_key":"eu.#","arguments":{}}],
                 "policies":[],"permissions":[]}
                """#
                #expect(try await m.request("POST", "/api/definitions", body: definitions).status == 204)
                let queue = try await m.object("/api/queues/staging/orders.eu")
                #expect((queue["arguments"] as? [String: Any])?["x-max-length"] as? Int == 100)
                let exported = try await m.object("/api/definitions")
                let keys = (exported["bindings"] as? [[String: Any]] ?? []).compactMap { $0["routing_key"] as? String }
                #expect(keys.contains("eu.#"))
                let bad = try await m.request("POST", "/api/definitions",
                                              body: #"{"queues":[{"name":"x","vhost":"nowhere"}]}"#)
                #expect(bad.status == 404)
                #expect(try await m.request("DELETE", "/api/vhosts/staging").status == 204)
                #expect(try await m.request("GET", "/api/queues/staging").status == 404)
                #expect(try await m.request("DELETE", "/api/users/ops").status == 204)
                #expect(try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("ops", "pw")).status == 401)
            }
        }
    }
}
