import Foundation
import Testing
import WarrenBroker

extension ManagementTests {
    /// Logins, malformed bodies and garbage: every answer is a status with RabbitMQ's error body,
    /// and the server keeps serving afterwards.
    @Suite struct ManagementRobustnessTests {
        @Test func unauthenticatedAndWrongPasswordGet401() async throws {
            try await EmbeddedManagement.with { m in
                let none = try await HTTP.request(port: m.port, "GET", "/api/overview", auth: nil)
                #expect(none.status == 401)
                #expect(none.body.isEmpty)
                #expect(none.headers["www-authenticate"] == "Basic realm=\"RabbitMQ Management\"")
                let wrong = try await HTTP.request(port: m.port, "GET", "/api/queues", auth: HTTP.basic("guest", "nope"))
                #expect(wrong.status == 401)
                #expect(wrong.body == #"{"error":"not_authorized","reason":"Login failed"}"#)
                let unknown = try await HTTP.request(port: m.port, "GET", "/api/queues", auth: HTTP.basic("who", "guest"))
                #expect(unknown.status == 401)
                let garbled = try await HTTP.request(port: m.port, "GET", "/api/queues", auth: "Basic %%%")
                #expect(garbled.status == 401)
            }
        }

        @Test func usersWithoutManagementTagsAreRefused() async throws {
            let users = [BrokerConfiguration.User(name: "guest", password: "guest"),
                         BrokerConfiguration.User(name: "app", password: "pw", tags: [])]
            try await EmbeddedManagement.with(BrokerConfiguration(amqpPort: 0, users: users)) { m in
                let app = try await HTTP.request(port: m.port, "GET", "/api/whoami", auth: HTTP.basic("app", "pw"))
                #expect(app.status == 401)
                #expect(try await m.object("/api/whoami")["name"] as? String == "guest")
            }
        }

        @Test(arguments: [
            ("PUT", "/api/queues/%2F/q"), ("PUT", "/api/exchanges/%2F/x"), ("POST", "/api/queues/%2F/q/get"),
            ("POST", "/api/exchanges/%2F/amq.default/publish"), ("POST", "/api/bindings/%2F/e/amq.direct/q/q"),
            ("POST", "/api/definitions"), ("PUT", "/api/users/u"), ("PUT", "/api/vhosts/v"),
        ])
        func malformedJSONIs400WithAReason(method: String, path: String) async throws {
            try await EmbeddedManagement.with { m in
                _ = try await m.request("PUT", "/api/queues/%2F/q", body: "{}")
                for body in ["{", "not json", "{\"durable\": tru}", "[1,", "\u{0}\u{1}", "{\"a\":1}}"] {
                    let result = try await m.request(method, path, body: body)
                    #expect(result.status == 400, "\(method) \(path) \(body.debugDescription): \(result.status)")
                    let error = try #require(try result.json() as? [String: Any])
                    #expect(error["error"] as? String == "bad_request")
                    #expect(error["reason"] as? String == "not_json")
                }
            }
        }

        @Test func wrongFieldTypesAre400WithAReason() async throws {
            try await EmbeddedManagement.with { m in
                let cases: [(String, String, String)] = [
                    ("PUT", "/api/queues/%2F/q", #"{"durable":"yes"}"#),
                    ("PUT", "/api/queues/%2F/q", #"{"arguments":{"x-max-length":"ten"}}"#),
                    ("PUT", "/api/queues/%2F/q", #"{"arguments":[1,2]}"#),
                    ("PUT", "/api/queues/%2F/q", "[]"),
                    ("PUT", "/api/exchanges/%2F/x", #"{"type":"nonsense"}"#),
                    ("PUT", "/api/exchanges/%2F/x", #"{"durable":true}"#),
                    ("POST", "/api/queues/%2F/q/get", #"{"count":1,"ackmode":"eat_it","encoding":"auto"}"#),
                    ("POST", "/api/queues/%2F/q/get", #"{"count":"x","ackmode":"peek"}"#),
                    ("POST", "/api/queues/%2F/q/get", #"{"count":1,"ackmode":"peek","encoding":"utf-16"}"#),
                    ("POST", "/api/exchanges/%2F/amq.default/publish", #"{"payload":"x"}"#),
                    ("POST", "/api/exchanges/%2F/amq.default/publish",
                     #"{"routing_key":"q","payload":"!!","payload_encoding":"base64"}"#),
                    ("POST", "/api/exchanges/%2F/amq.default/publish",
                     #"{"routing_key":"q","payload":"x","properties":{"delivery_mode":9000}}"#),
                    ("GET", "/api/queues?page=0", ""), ("GET", "/api/queues?page_size=501", ""),
                    ("GET", "/api/queues?page=7", ""), ("GET", "/api/queues?name=(&use_regex=true", ""),
                    ("GET", "/api/queues?lengths_age=-1", ""),
                ]
                _ = try await m.request("PUT", "/api/queues/%2F/q", body: "{}")
                for (method, path, body) in cases {
                    let result = try await m.request(method, path, body: body.isEmpty ? nil : body)
                    #expect(result.status == 400, "\(method) \(path) \(body): \(result.status) \(result.body)")
                    let error = try #require(try result.json() as? [String: Any])
                    #expect((error["reason"] as? String)?.isEmpty == false)
                }
            }
        }

        @Test func garbageNeverCrashesTheServer() async throws {
            try await EmbeddedManagement.with { m in
                var generator = SystemRandomNumberGenerator()
                let paths = ["/api/queues/%ZZ/x", "/api/queues/%2F/%2F/%2F/%2F", "/api/../../etc/passwd", "/api//",
                             "/api/queues/%2F/q/get", "/api/bindings/%2F/e//q/", "/api/exchanges/%2F/amq.default/bindings/x",
                             "/api/" + String(repeating: "a/", count: 500), "/metrics", "/", "/api/queues?sort=&columns=,,.",
                             "/api/queues?page=99999999999999999999", "/api/queues?sort=a.b.c.d&sort_reverse=true"]
                for path in paths {
                    for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
                        let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                            UInt8.random(in: 0...255, using: &generator)
                        }
                        let body = String(decoding: bytes, as: UTF8.self)
                        let result = try await m.request(method, path, body: body)
                        #expect(result.status < 500, "\(method) \(path): \(result.status) \(result.body)")
                    }
                }
                // Not HTTP at all, then a half request: the server drops them and goes on.
                _ = try? await HTTP.exchange(port: m.port, bytes: Array("\u{0}\u{ff}GARBAGE\r\n\r\n".utf8), halfClose: true)
                _ = try? await HTTP.exchange(port: m.port, bytes: Array("GET /api/overview HTTP/1.1\r\nContent-Le".utf8), halfClose: true)
                #expect(try await m.object("/api/overview")["product_name"] as? String == "Warren")
            }
        }
    }
}
