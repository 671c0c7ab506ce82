import Foundation
import NIOCore
import Testing
import WarrenClient
@testable import WarrenBroker

/// Permissions on the AMQP side: patterns as RabbitMQ matches them, connection.open refused
/// without permissions, and the checks of the methods that need them.
@Suite struct PermissionTests {
    @Test func patternsMatchAsRabbitMQMatchesThem() {
        let matcher = PatternMatcher()
        #expect(matcher.matches(".*", "anything"))
        #expect(matcher.matches("^app\\.", "app.orders"))
        #expect(!matcher.matches("^app\\.", "other.app.orders"))
        // Unanchored: a match anywhere in the name is enough.
        #expect(matcher.matches("orders", "app.orders.eu"))
        // The empty pattern means ^$: nothing but the empty name.
        #expect(!matcher.matches("", "q"))
        #expect(matcher.matches("", ""))
        // A pattern that does not compile matches nothing.
        #expect(!matcher.matches("(", "("))
        #expect(!Permission.isValidPattern("("))
        #expect(Permission.isValidPattern(""))
    }

    @Test func theDefaultConfigurationGivesEveryUserEveryVhost() {
        var configuration = BrokerConfiguration(amqpPort: 0, virtualHosts: ["/", "staging"])
        configuration.users.append(BrokerConfiguration.User(name: "app", password: "pw"))
        #expect(Set(configuration.resolvedPermissions.map { "\($0.user)@\($0.vhost)" })
                == ["guest@/", "guest@staging", "app@/", "app@staging"])
        configuration.permissions = []
        #expect(configuration.resolvedPermissions.isEmpty)
    }

    static func broker() async throws -> Broker {
        var configuration = BrokerConfiguration(amqpPort: 0, users: [
            BrokerConfiguration.User(name: "app", password: "pw", tags: []),
            BrokerConfiguration.User(name: "nobody", password: "pw", tags: []),
        ], virtualHosts: ["/", "other"])
        configuration.permissions = [Permission(user: "app", vhost: "/", configure: "^app\\.", write: "^app\\.",
                                                read: "^app\\.")]
        return try await Broker.start(configuration)
    }

    /// Issue 15: a user with no permissions at all could connect to / and declare queues.
    @Test func aUserWithoutPermissionsCannotOpenTheVhost() async throws {
        let broker = try await Self.broker()
        for (user, vhost) in [("nobody", "%2F"), ("app", "other")] {
            do {
                let connection = try await AMQPConnection.connect(to: "amqp://\(user):pw@127.0.0.1:\(broker.amqpPort)/\(vhost)")
                try? await connection.close()
                Issue.record("\(user) opened \(vhost)")
            } catch AMQPClientError.connectionClosedByServer(let reason) {
                let name = vhost == "%2F" ? "/" : vhost
                #expect(reason.replyCode == 530)
                #expect(reason.replyText == "NOT_ALLOWED - access to vhost '\(name)' refused for user '\(user)'")
                #expect(reason.classID == 10 && reason.methodID == 40)
            }
        }
        try await broker.shutdown()
    }

    @Test func methodsCheckThePatterns() async throws {
        let broker = try await Self.broker()
        let connection = try await AMQPConnection.connect(to: "amqp://app:pw@127.0.0.1:\(broker.amqpPort)/")
        func refusal(_ step: (AMQPChannel) async throws -> Void) async throws -> String? {
            let channel = try await connection.openChannel()
            do {
                try await step(channel)
                try await channel.close()
                return nil
            } catch AMQPClientError.channelClosedByServer(let reason) {
                return "\(reason.replyCode) \(reason.replyText)"
            } catch AMQPClientError.channelClosed where channel.closedError != nil {
                return channel.closedError!.replyText.map { "\(channel.closedError!.replyCode!) \($0)" }
            }
        }
        let refused = { (what: String) in "403 ACCESS_REFUSED - access to \(what) in vhost '/' refused for user 'app'" }
        #expect(try await refusal { try await $0.queueDeclare("app.q") } == nil)
        #expect(try await refusal { try await $0.queueDeclare("q") } == refused("queue 'q'"))
        let serverNamed = try await refusal { try await $0.queueDeclare("") }
        #expect(serverNamed?.hasPrefix("403 ACCESS_REFUSED - access to queue 'amq.gen-") == true)
        #expect(try await refusal { try await $0.queueDeclare("x", exclusive: true) } == refused("queue 'x'"))
        #expect(try await refusal {
            try await $0.publish(ByteBuffer(string: "m"), routingKey: "app.q")
            try await $0.queueDeclare("app.q", passive: true)
        } == refused("exchange 'amq.default'"))
        #expect(try await refusal { _ = try await $0.get("elsewhere") } == refused("queue 'elsewhere'"))
        #expect(try await refusal { _ = try await $0.consume("elsewhere") } == refused("queue 'elsewhere'"))
        #expect(try await refusal { _ = try await $0.queuePurge("elsewhere") } == refused("queue 'elsewhere'"))
        #expect(try await refusal { try await $0.queueDelete("elsewhere") } == refused("queue 'elsewhere'"))
        #expect(try await refusal { try await $0.queueBind("app.q", exchange: "amq.direct") }
                == refused("exchange 'amq.direct'"))
        #expect(try await refusal { try await $0.exchangeDeclare("x") } == refused("exchange 'x'"))
        #expect(try await refusal { try await $0.exchangeDeclare("app.x") } == nil)
        #expect(try await refusal {
            try await $0.exchangeDeclare("app.y", arguments: ["alternate-exchange": "amq.fanout"])
        } == refused("exchange 'amq.fanout'"))
        #expect(try await refusal {
            try await $0.queueDeclare("app.d", arguments: ["x-dead-letter-exchange": "dlx"])
        } == refused("exchange 'dlx'"))
        // Passive declares need no permission.
        #expect(try await refusal { try await $0.exchangeDeclare("amq.direct", passive: true) } == nil)
        try await connection.close()
        try await broker.shutdown()
    }

    @Test func topicPermissionsLimitRoutingKeys() async throws {
        var configuration = BrokerConfiguration(amqpPort: 0, users: [BrokerConfiguration.User(name: "app", password: "pw")])
        configuration.topicPermissions = [TopicPermission(user: "app", vhost: "/", exchange: "amq.topic",
                                                          write: "^{username}\\.", read: "^{vhost}$")]
        let broker = try await Broker.start(configuration)
        let connection = try await AMQPConnection.connect(to: "amqp://app:pw@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        _ = try await channel.publishConfirmed(ByteBuffer(string: "m"), exchange: "amq.topic", routingKey: "app.orders")
        try await channel.queueDeclare("q")
        try await channel.queueBind("q", exchange: "amq.topic", routingKey: "/")
        do {
            try await channel.queueBind("q", exchange: "amq.topic", routingKey: "app.#")
            Issue.record("bound with a key the read pattern refuses")
        } catch AMQPClientError.channelClosedByServer(let reason) {
            #expect(reason.replyText
                == "ACCESS_REFUSED - access to topic 'app.#' in exchange 'amq.topic' in vhost '/' refused for user 'app'")
        }
        try await connection.close()
        try await broker.shutdown()
    }
}
