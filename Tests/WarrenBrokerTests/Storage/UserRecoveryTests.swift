import Foundation
import Testing
import WarrenClient
@testable import WarrenBroker

/// Users added or removed through the management API are part of the durable definitions.
@Suite struct UserRecoveryTests {
    @Test func usersAddedAtRunTimeSurviveARestartAndDeletedOnesStayGone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var broker = try await startBroker(directory)
        _ = try await broker.withOperations { (operations) throws(ManagementError) in
            _ = operations.putUser(BrokerConfiguration.User(name: "ops", password: "s3cret", tags: ["monitoring"]))
            _ = try operations.putPermission(Permission(user: "ops", vhost: "/", configure: "^ops\\."))
            _ = try operations.putTopicPermission(TopicPermission(user: "ops", vhost: "/", exchange: "amq.topic",
                                                                  write: "^ops\\."))
            _ = operations.putUser(BrokerConfiguration.User(name: "temp", password: "x"))
            try operations.deleteUser("temp")
        }
        try await broker.shutdown()

        broker = try await startBroker(directory)
        let ops = await broker.authenticate(user: "ops", password: "s3cret")
        #expect(ops?.tags == ["monitoring"])
        #expect(try await broker.snapshot([]).topicPermissions.map(\.write) == ["^ops\\."])
        #expect(await broker.authenticate(user: "temp", password: "x") == nil)
        // The user can log in over AMQP too, with the permissions they were given.
        let connection = try await AMQPConnection.connect(to: "amqp://ops:s3cret@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("ops.q")
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("other") }
        try? await connection.close()
        // Passwords are on disk: only the broker's user may read the file.
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/definitions")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try await broker.shutdown()
    }

    /// guest as `warren broker` sets it up: RabbitMQ's default user, created in a fresh data
    /// directory only. Its password changed over the management API, and its deletion, last.
    @Test func theDefaultUserIsCreatedOnceAndThenAsLeft() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func start() async throws -> Broker {
            var configuration = BrokerConfiguration(amqpPort: 0)
            configuration.dataDirectory = directory.path
            configuration.defaultUserNames = ["guest"]
            return try await Broker.start(configuration)
        }
        var broker = try await start()
        #expect(await broker.authenticate(user: "guest", password: "guest") != nil)
        _ = try await broker.withOperations { (operations) throws(ManagementError) in
            operations.putUser(BrokerConfiguration.User(name: "guest", password: "changed"))
        }
        try await broker.shutdown()

        broker = try await start()
        #expect(await broker.authenticate(user: "guest", password: "guest") == nil)
        let guest = await broker.authenticate(user: "guest", password: "changed")
        #expect(guest?.loopbackOnly == true, "still loopback-only")
        _ = try await broker.withOperations { (operations) throws(ManagementError) in
            _ = operations.putUser(BrokerConfiguration.User(name: "admin", password: "pw"))
            try operations.deleteUser("guest")
        }
        try await broker.shutdown()

        broker = try await start()
        #expect(await broker.authenticate(user: "guest", password: "changed") == nil)
        #expect(await broker.authenticate(user: "guest", password: "guest") == nil)
        #expect(await broker.authenticate(user: "admin", password: "pw") != nil)
        try await broker.shutdown()
    }
}
