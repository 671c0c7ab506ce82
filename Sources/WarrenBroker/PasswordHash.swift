import Crypto
import Foundation

/// A password as RabbitMQ stores it (`rabbit_password_hashing_sha256`, its default): 4 random
/// bytes of salt, then SHA-256 of the salt followed by the password's UTF-8 bytes. Base64 of
/// those 36 bytes is the `password_hash` of the management API and of exported definitions, so
/// users move between Warren and RabbitMQ with their passwords intact.
public struct PasswordHash: Sendable, Hashable {
    /// Salt and digest; empty for a user without a password (nobody can log in as them with one,
    /// as RabbitMQ does for an empty `password_hash`).
    public let bytes: [UInt8]

    public static let algorithm = "rabbit_password_hashing_sha256"

    public init(password: String) {
        let salt = (0..<4).map { _ in UInt8.random(in: 0...255) }
        bytes = salt + Self.digest(salt: salt, password)
    }

    /// From a `password_hash`; nil unless it is base64 of 36 bytes (or empty: no password).
    public init?(base64: String) {
        if base64.isEmpty {
            bytes = []
            return
        }
        guard let data = Data(base64Encoded: base64), data.count == 36 else { return nil }
        bytes = Array(data)
    }

    public var base64: String { Data(bytes).base64EncodedString() }

    /// A hash no password matches, checked for users that do not exist so that logging in as
    /// one costs what a wrong password does.
    static let timingDecoy = PasswordHash(password: UUID().uuidString)

    public func matches(_ password: String) -> Bool {
        guard bytes.count == 36 else { return false }
        let expected = Self.digest(salt: bytes[0..<4], password)
        // Every byte compared, whatever the first difference.
        return zip(expected, bytes[4...]).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func digest(salt: some Collection<UInt8>, _ password: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(salt))
        hasher.update(data: Array(password.utf8))
        return Array(hasher.finalize())
    }
}
