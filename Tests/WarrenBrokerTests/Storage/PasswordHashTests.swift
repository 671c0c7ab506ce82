import NIOCore
import Testing
@testable import WarrenBroker

/// Passwords are kept as RabbitMQ keeps them: salted SHA-256, base64 in exports.
@Suite struct PasswordHashTests {
    /// guest's password_hash from a RabbitMQ 3.10.8 definitions export (Tests fixtures).
    static let rabbitGuest = "azw5WsaRjnJYHofN+TJCHAf7D0BcPaSJIzTVOLRrkpPpQ61M"

    @Test func aHashRabbitMQMadeChecksItsPassword() throws {
        let hash = try #require(PasswordHash(base64: Self.rabbitGuest))
        #expect(hash.matches("guest"))
        #expect(!hash.matches("Guest") && !hash.matches("") && !hash.matches("guest "))
        #expect(hash.base64 == Self.rabbitGuest)
    }

    @Test func hashesAreSaltedAndRoundTrip() throws {
        let first = PasswordHash(password: "s3cret")
        let second = PasswordHash(password: "s3cret")
        #expect(first.bytes.count == 36)
        #expect(first != second, "a fresh salt each time")
        #expect(first.matches("s3cret") && second.matches("s3cret") && !first.matches("s3cre"))
        #expect(try #require(PasswordHash(base64: first.base64)) == first)
        #expect(PasswordHash(password: "pässwörd").matches("pässwörd"))
    }

    @Test func anEmptyHashLetsNoPasswordIn() throws {
        let none = try #require(PasswordHash(base64: ""))
        #expect(!none.matches("") && !none.matches("guest"))
    }

    @Test func malformedHashesAreRefused() {
        #expect(PasswordHash(base64: "not base64!") == nil)
        #expect(PasswordHash(base64: "AAAA") == nil, "3 bytes")
        #expect(PasswordHash(base64: String(Self.rabbitGuest.dropLast(4))) == nil)
    }

    @Test func definitionsKeepTheHashNotThePassword() throws {
        var definitions = Definitions()
        definitions.users = [BrokerConfiguration.User(name: "ops", password: "s3cret", loopbackOnly: true, tags: ["management"])]
        let records = definitions.records()
        let bytes = records.flatMap { Array($0.readableBytesView) }
        #expect(!String(decoding: bytes, as: UTF8.self).contains("s3cret"))
        let back = Definitions(records: records)
        #expect(back.users == definitions.users)
        #expect(back.users.first?.hasPassword("s3cret") == true)
    }

    /// A definitions file written before passwords were hashed holds the password itself.
    @Test func olderDefinitionsWithThePasswordStillLoad() throws {
        var record = ByteBuffer()
        record.writeInteger(UInt8(5))
        for string in ["old", "plain-pw", "administrator"] {
            record.writeInteger(UInt32(string.utf8.count))
            record.writeString(string)
        }
        record.writeInteger(UInt8(0))
        let user = try #require(Definitions(records: [record]).users.first)
        #expect(user.name == "old" && user.tags == ["administrator"] && !user.loopbackOnly)
        #expect(user.hasPassword("plain-pw") && !user.hasPassword("sha256:plain-pw"))
    }
}
