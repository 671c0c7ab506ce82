import Foundation

/// A user's rights in one vhost, as RabbitMQ keeps them: three regular expressions over resource
/// names, one for each of configure (declare, delete), write (publish, bind to) and read
/// (consume, get, purge, bind from).
public struct Permission: Sendable, Hashable {
    public var user: String
    public var vhost: String
    public var configure: String
    public var write: String
    public var read: String

    public init(user: String, vhost: String, configure: String = ".*", write: String = ".*", read: String = ".*") {
        self.user = user
        self.vhost = vhost
        self.configure = configure
        self.write = write
        self.read = read
    }

    /// Whether a pattern is one the broker can match with (the management API refuses others).
    /// In topic permissions `{username}` and `{vhost}` stand for names, so they count as such.
    public static func isValidPattern(_ pattern: String, topic: Bool = false) -> Bool {
        guard topic else { return PatternMatcher.isValid(pattern) }
        return PatternMatcher.isValid(TopicPermission.expand(pattern, user: "u", vhost: "v"))
    }

    func pattern(_ access: Access) -> String {
        switch access {
        case .configure: configure
        case .write: write
        case .read: read
        }
    }
}

/// A user's rights over routing keys of one topic exchange in one vhost (RabbitMQ's topic
/// permissions): publishing needs `write` to match the key, binding from the exchange `read`.
public struct TopicPermission: Sendable, Hashable {
    public var user: String
    public var vhost: String
    public var exchange: String
    public var write: String
    public var read: String

    public init(user: String, vhost: String, exchange: String, write: String = ".*", read: String = ".*") {
        self.user = user
        self.vhost = vhost
        self.exchange = exchange
        self.write = write
        self.read = read
    }

    /// A pattern with RabbitMQ's variables replaced by the user's name and the vhost.
    static func expand(_ pattern: String, user: String, vhost: String) -> String {
        pattern.replacingOccurrences(of: "{username}", with: user).replacingOccurrences(of: "{vhost}", with: vhost)
    }
}

/// The three kinds of access RabbitMQ checks.
public enum Access: String, Sendable {
    case configure, write, read
}

/// The user tags RabbitMQ's management plugin knows, from most to least powerful.
public enum UserTag {
    public static let administrator = "administrator"
    public static let monitoring = "monitoring"
    public static let policymaker = "policymaker"
    public static let management = "management"
    public static let impersonator = "impersonator"
    /// Tags that let a user log in to the management API.
    public static let managementTags: Set<String> = [administrator, monitoring, policymaker, management]
}

/// Regular expressions as RabbitMQ matches permissions with them: unanchored, the empty pattern
/// meaning `^$` (nothing but the empty name), a pattern that does not compile matching nothing.
/// Compiled once per pattern.
final class PatternMatcher {
    private var compiled: [String: NSRegularExpression?] = [:]

    func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern == ".*" { return true }
        let effective = pattern.isEmpty ? "^$" : pattern
        let regex: NSRegularExpression?
        if let cached = compiled[effective] {
            regex = cached
        } else {
            regex = try? NSRegularExpression(pattern: effective)
            if compiled.count > 1000 { compiled.removeAll() }
            compiled[effective] = regex
        }
        guard let regex else { return false }
        return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    /// Whether `pattern` is a regular expression at all (the management API refuses others).
    static func isValid(_ pattern: String) -> Bool {
        pattern.isEmpty || (try? NSRegularExpression(pattern: pattern)) != nil
    }
}
