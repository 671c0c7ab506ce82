import Foundation
import WarrenBroker
import WarrenWire

/// The checks RabbitMQ 3.10.8 makes of a policy before it stores it, with its error texts:
/// rabbit_policy:policy_validation/0 (priority a number, pattern a regular expression, apply-to
/// one of three, the definition one of known settings) run by
/// rabbit_parameter_validation:proplist/3, every failure reported, in reverse order of the
/// checks; each definition setting as rabbit_policies:validate_policy0/2 checks it, the first
/// failure in key order only. Terms appear as Erlang's `~p` prints them. The policy endpoint
/// escapes the text for HTML (rabbit_mgmt_format:escape_html_tags/1), the operator-policy one
/// does not.
enum PolicyValidation {
    /// The settings of operator policies (the operator_policy_validator registrations of rabbit_policies).
    static let operatorKeys: Set<String> = ["expires", "message-ttl", "max-length", "max-length-bytes",
                                            "max-in-memory-length", "max-in-memory-bytes", "delivery-limit"]
    /// Settings of the classic mirrored queues of a cluster (rabbit_mirror_queue_misc) and the
    /// queue master locator: accepted and kept as RabbitMQ keeps them; a single node has no
    /// mirrors and no other node to place a queue on, so they change nothing.
    static let clusterKeys: Set<String> = ["ha-mode", "ha-params", "ha-sync-mode", "ha-sync-batch-size",
                                           "ha-promote-on-shutdown", "ha-promote-on-failure", "queue-master-locator"]

    static func policy(vhost: String, name: String, _ body: JSON, operator isOperator: Bool) throws(RequestError)
        -> Policy
    {
        var errors: [String] = []
        let priority = body["priority"] ?? .int(0)
        let pattern = body["pattern"] ?? .null
        let applyTo = body["apply-to"] ?? .string("all")
        let definition = body["definition"] ?? .null
        if let error = check(definition: definition, operator: isOperator) { errors.append(error) }
        if let text = applyTo.stringValue {
            if Policy.ApplyTo(rawValue: text) == nil {
                errors.append("apply-to '\(text)' unrecognised; should be 'queues', 'exchanges' or 'all'")
            }
        } else {
            errors.append("apply-to '\(term(applyTo))' unrecognised; should be 'queues', 'exchanges' or 'all'")
        }
        if let text = pattern.stringValue {
            if let (reason, offset) = RegexCheck.error(text) {
                errors.append("pattern should be regular expression but is invalid: {\"\(reason)\",\(offset)}")
            }
        } else {
            errors.append("pattern should be a binary but was \(term(pattern))")
        }
        let number: Double?
        switch priority {
        case .int(let n): number = Double(n)
        case .double(let d): number = d
        default: number = nil
        }
        if number == nil { errors.append("priority should be a number, actually was \(term(priority))") }
        guard errors.isEmpty, let number, let text = pattern.stringValue, let table = definition.fieldTable,
              let target = applyTo.stringValue.flatMap(Policy.ApplyTo.init(rawValue:))
        else {
            let reason = "Validation failed\n\n" + errors.joined(separator: "\n") + "\n"
            throw .badRequest(isOperator ? reason : escapeHTML(reason))
        }
        return Policy(vhost: vhost, name: name, pattern: text, applyTo: target, priority: number, definition: table)
    }

    /// rabbit_policy:validation/3: the definition's settings, or why not.
    static func check(definition: JSON, operator isOperator: Bool) -> String? {
        guard case .object(let pairs) = definition else {
            return "definition must be a dictionary: \(term(definition))"
        }
        if pairs.isEmpty { return "no policy provided" }
        let sorted = pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        var unknown: [(String, JSON)] = []
        for (key, value) in sorted {
            let known = isOperator ? operatorKeys.contains(key) : (reasons[key] != nil || clusterKeys.contains(key))
            guard known else {
                unknown.append((key, value))
                continue
            }
            if let reason = reasons[key], !isValid(key, value) { return "\(term(value)) is not a valid \(reason)" }
        }
        guard unknown.isEmpty else {
            return "[" + unknown.map { "{<<\"\($0.0)\">>,\(term($0.1))}" }.joined(separator: ",")
                + "] are not recognised policy settings"
        }
        return nil
    }

    /// What each setting's refusal calls the value (rabbit_policies:validate_policy0/2).
    static let reasons: [String: String] = [
        "alternate-exchange": "alternate exchange name", "dead-letter-exchange": "dead letter exchange name",
        "dead-letter-routing-key": "dead letter routing key", "dead-letter-strategy": "dead letter strategy",
        "message-ttl": "message TTL", "expires": "queue expiry", "max-length": "maximum length",
        "max-length-bytes": "maximum length in bytes", "max-in-memory-length": "maximum memory in bytes",
        "max-in-memory-bytes": "maximum memory in bytes", "queue-mode": "queue-mode value",
        "queue-version": "queue-version value", "overflow": "overflow value", "delivery-limit": "delivery limit",
        "max-age": "max age", "stream-max-segment-size-bytes": "segment size",
        "queue-leader-locator": "queue leader locator value", "initial-cluster-size": "cluster size",
    ]

    static func isValid(_ key: String, _ value: JSON) -> Bool {
        let integer: Int64? = if case .int(let n) = value { n } else { nil }
        switch key {
        case "alternate-exchange", "dead-letter-exchange", "dead-letter-routing-key": return value.stringValue != nil
        case "dead-letter-strategy": return ["at-most-once", "at-least-once"].contains(value.stringValue ?? "")
        case "expires": return (integer ?? 0) >= 1
        case "queue-mode": return ["default", "lazy"].contains(value.stringValue ?? "")
        case "queue-version": return integer == 1 || integer == 2
        case "overflow": return ["drop-head", "reject-publish", "reject-publish-dlx"].contains(value.stringValue ?? "")
        case "queue-leader-locator":
            return ["client-local", "balanced", "random", "least-leaders"].contains(value.stringValue ?? "")
        case "max-age":
            guard let text = value.stringValue, let unit = text.last, "YMDhms".contains(unit) else { return false }
            return !text.dropLast().isEmpty && text.dropLast().allSatisfy(\.isASCII) && Int(text.dropLast()) != nil
        case "stream-max-segment-size-bytes": return (integer ?? -1) >= 0 && (integer ?? 0) <= 3_000_000_000
        default: return (integer ?? -1) >= 0
        }
    }

    /// A JSON value as Erlang's `~p` prints what rabbit_json decodes it to.
    static func term(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let n): return String(n)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(format: "%.1f", d) : String(d)
        case .string(let s): return "<<\"\(s)\">>"
        case .array(let items): return "[" + items.map(term).joined(separator: ",") + "]"
        case .object(let pairs):
            let sorted = pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            return "#{" + sorted.map { "<<\"\($0.0)\">> => \(term($0.1))" }.joined(separator: ",") + "}"
        }
    }

    static func escapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Whether a pattern compiles, and if not PCRE's reason and offset for the common mistakes
/// (Erlang's re:compile/1 reports `{Reason, Offset}`); anything else NSRegularExpression
/// refuses is reported with the offset of the end.
enum RegexCheck {
    static func error(_ pattern: String) -> (String, Int)? {
        if pattern.isEmpty || (try? NSRegularExpression(pattern: pattern)) != nil { return nil }
        let bytes = Array(pattern.utf8)
        var depth = 0
        var inClass = false
        var index = 0
        var previous: UInt8? = nil
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                index += 2
                previous = UInt8(ascii: "a")
                continue
            }
            if inClass {
                if byte == UInt8(ascii: "]") { inClass = false }
            } else {
                switch byte {
                case UInt8(ascii: "["): inClass = true
                case UInt8(ascii: "("): depth += 1
                case UInt8(ascii: ")"):
                    if depth == 0 { return ("unmatched parentheses", index) }
                    depth -= 1
                case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                    if previous == nil || previous == UInt8(ascii: "(") || previous == UInt8(ascii: "|") {
                        return ("nothing to repeat", index)
                    }
                default: break
                }
            }
            previous = byte
            index += 1
        }
        if inClass { return ("missing terminating ] for character class", bytes.count) }
        if depth > 0 { return ("missing )", bytes.count) }
        return ("invalid regular expression", bytes.count)
    }
}
