import Foundation
import Testing

/// Compares JSON objects with RabbitMQ 3.10.8's captures: every key a capture has for a kind
/// of object must be in ours with the same JSON type, except the gaps a test names.
enum Shape {
    static func fixture(_ name: String) throws -> Any {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    static func fixtureObjects(_ name: String) throws -> [[String: Any]] {
        try #require(try fixture(name) as? [[String: Any]])
    }

    static func type(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if String(describing: Swift.type(of: value)).contains("Boolean") || value is Bool && !(value is NSNumber) {
            return "bool"
        }
        if value is NSNumber { return "number" }
        if value is String { return "string" }
        if value is [Any] { return "array" }
        if value is [String: Any] { return "object" }
        return "unknown"
    }

    /// Each key of the reference objects with the types it has there.
    static func keyTypes(_ objects: [[String: Any]]) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for object in objects {
            for (key, value) in object { result[key, default: []].insert(type(value)) }
        }
        return result
    }

    /// Checks `ours` against `reference`; nested objects are compared one level further for the
    /// keys in `nested`. A reference value that is null anywhere means "may be null", so any
    /// type is accepted for it. Gaps are keys (dotted for nested ones) deliberately missing.
    static func check(
        _ ours: [[String: Any]], against reference: [[String: Any]], gaps: Set<String> = [], nested: [String] = [],
        what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!ours.isEmpty, "no \(what) to compare", sourceLocation: sourceLocation)
        let expected = keyTypes(reference)
        for object in ours {
            let name = object["name"] ?? object["consumer_tag"] ?? object["destination"] ?? "?"
            for (key, types) in expected.sorted(by: { $0.key < $1.key }) where !gaps.contains(key) {
                guard let value = object[key] else {
                    Issue.record("\(what) \(name): missing key '\(key)'", sourceLocation: sourceLocation)
                    continue
                }
                let ourType = type(value)
                if !types.contains("null") && !types.contains(ourType) {
                    Issue.record("\(what) \(name): '\(key)' is \(ourType), RabbitMQ has \(types.sorted())",
                                 sourceLocation: sourceLocation)
                }
            }
            for key in nested {
                let inner = reference.compactMap { $0[key] as? [String: Any] }
                guard !inner.isEmpty, let ourInner = object[key] as? [String: Any] else { continue }
                let prefix = key + "."
                check([ourInner], against: inner,
                      gaps: Set(gaps.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }),
                      what: "\(what) \(name) \(key)", sourceLocation: sourceLocation)
            }
        }
    }
}
