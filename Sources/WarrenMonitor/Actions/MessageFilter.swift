import Foundation
import NIOCore
import WarrenWire

/// One term of Warren's message filter language, shared by `warren replay --filter` and the
/// dashboard's message filter (docs/filters.md). All terms of a filter must match.
public enum ReplayFilter: Sendable, Hashable, CustomStringConvertible {
    case reason(String)
    case sourceQueue(String)
    /// First dead-lettered at least this long ago.
    case olderThan(TimeInterval)
    /// First dead-lettered less than this long ago.
    case newerThan(TimeInterval)
    case header(String, String)
    /// Died (summed over its `x-death` entries) at most this many times: `--max-deaths N`.
    case maxDeaths(Int)
    /// A basic property by its management API name (`property.content_type=application/json`).
    case property(String, String)
    /// The body, as UTF-8 text, contains this (case-insensitive).
    case bodyContains(String)
    /// A field of a JSON body, by a dotted path (`body.order.id=42`, `body.items.0.sku=X`).
    case bodyField([String], String)
    /// Any of the above, negated with a leading `!`.
    indirect case not(ReplayFilter)

    /// Parses one term: `reason=R`, `queue=Q`, `age>DURATION`, `age<DURATION` (s, m, h, d),
    /// `deaths<=N`, `header.NAME=VALUE`, `property.NAME=VALUE`, `body~TEXT`, `body.PATH=VALUE`, and
    /// any of them after `!`.
    public init?(parsing text: String) {
        if text.hasPrefix("!") {
            guard let inner = ReplayFilter(parsing: String(text.dropFirst())) else { return nil }
            self = .not(inner)
            return
        }
        if text.hasPrefix("deaths<=") {
            guard let count = Int(text.dropFirst(8)), count >= 0 else { return nil }
            self = .maxDeaths(count)
            return
        }
        if text.hasPrefix("age>") || text.hasPrefix("age<") {
            guard let seconds = Self.duration(String(text.dropFirst(4))) else { return nil }
            self = text.hasPrefix("age>") ? .olderThan(seconds) : .newerThan(seconds)
            return
        }
        if text.hasPrefix("body~") {
            guard text.count > 5 else { return nil }
            self = .bodyContains(String(text.dropFirst(5)))
            return
        }
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        switch key {
        case "reason": self = .reason(value)
        case "queue", "source": self = .sourceQueue(value)
        default:
            if key.hasPrefix("header."), key.count > 7 {
                self = .header(String(key.dropFirst(7)), value)
            } else if key.hasPrefix("property."), key.count > 9 {
                self = .property(String(key.dropFirst(9)), value)
            } else if key.hasPrefix("body."), key.count > 5 {
                // Every step of the path names something: `body..x` is not a path.
                let path = key.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !path.contains(where: \.isEmpty) else { return nil }
                self = .bodyField(path, value)
            } else {
                return nil
            }
        }
    }

    /// A whole filter: terms separated by spaces, a value with spaces in double quotes
    /// (`reason=rejected header.x-exception-message="timed out"`), and within quotes `\"` and
    /// `\\` for a quote and a backslash. Nil with the bad term.
    public static func parseAll(_ text: String) -> Result<[ReplayFilter], FilterError> {
        var terms: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                if character != "\"" && character != "\\" { current.append("\\") }
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { terms.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if escaped { current.append("\\") }
        if quoted { return .failure(FilterError(term: current, reason: "a quote is not closed")) }
        if !current.isEmpty { terms.append(current) }
        var filters: [ReplayFilter] = []
        for term in terms {
            guard let filter = ReplayFilter(parsing: term) else {
                return .failure(FilterError(term: term, reason: "not a filter term"))
            }
            filters.append(filter)
        }
        return .success(filters)
    }

    /// Seconds, at most about 3,000 years: a duration that is not finite, negative or beyond
    /// that is not a term (it would not be written back as whole seconds; the fuzzer found
    /// `age>4444...` crashing that).
    static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let seconds: Double?
        if let unit = text.last, let factor = units[unit], let number = Double(text.dropLast()) {
            seconds = number * factor
        } else {
            seconds = Double(text)
        }
        guard let seconds, seconds.isFinite, seconds >= 0, seconds < 1e11 else { return nil }
        return seconds
    }

    public var description: String {
        /// Quoted when it must be, so that the text parses back to the same filter.
        func quote(_ value: String) -> String {
            guard value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" }) else { return value }
            return "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        switch self {
        case .reason(let r): return "reason=\(quote(r))"
        case .sourceQueue(let q): return "queue=\(quote(q))"
        case .olderThan(let s): return "age>\(Self.seconds(s))s"
        case .newerThan(let s): return "age<\(Self.seconds(s))s"
        case .header(let name, let value): return "header.\(quote(name))=\(quote(value))"
        case .maxDeaths(let count): return "deaths<=\(count)"
        case .property(let name, let value): return "property.\(quote(name))=\(quote(value))"
        case .bodyContains(let text): return "body~\(quote(text))"
        case .bodyField(let path, let value): return "body.\(quote(path.joined(separator: ".")))=\(quote(value))"
        case .not(let inner): return "!\(inner)"
        }
    }

    /// Whole seconds as an integer, others as the shortest decimal that reads back the same.
    private static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Whether it reads the body (the rest need only the properties).
    public var readsBody: Bool {
        switch self {
        case .bodyContains, .bodyField: return true
        case .not(let inner): return inner.readsBody
        default: return false
        }
    }

    /// Why a message this filter leaves out stays in the DLQ.
    var skipReason: String {
        switch self {
        case .maxDeaths(let count): return "died more than \(count) time\(count == 1 ? "" : "s") (--max-deaths)"
        default: return "filtered out (\(self))"
        }
    }

    public func matches(_ message: MessageFacts, now: Date = Date()) -> Bool {
        switch self {
        case .reason(let reason): return message.history.reason == reason
        case .sourceQueue(let queue): return message.history.origin?.queue == queue
        case .olderThan(let seconds):
            guard let time = message.history.origin?.time else { return false }
            return now.timeIntervalSince(time) >= seconds
        case .newerThan(let seconds):
            guard let time = message.history.origin?.time else { return false }
            return now.timeIntervalSince(time) < seconds
        case .header(let name, let value):
            return message.headers[name]?.text == value
        case .maxDeaths(let count):
            return message.history.totalDeaths <= count
        case .property(let name, let value):
            return message.properties[name]?.text == value
        case .bodyContains(let text):
            return message.bodyText?.range(of: text, options: .caseInsensitive) != nil
        case .bodyField(let path, let value):
            var field = message.bodyJSON
            for key in path {
                if let index = Int(key), case .array(let items)? = field {
                    field = items.indices.contains(index) ? items[index] : nil
                } else {
                    field = field?[key]
                }
            }
            return field?.text == value
        case .not(let inner):
            return !inner.matches(message, now: now)
        }
    }
}

/// A filter term that cannot be read.
public struct FilterError: Error, Sendable, Hashable, CustomStringConvertible {
    public var term: String
    public var reason: String
    public var description: String {
        "'\(term)': \(reason) (reason=R queue=Q age>10m age<1h deaths<=N header.NAME=V property.NAME=V body~TEXT "
            + "body.PATH=V, ! negates)"
    }
}

/// What a filter reads of a message: its dead-letter history, headers and properties as JSON, and
/// its body as text and, when it is JSON, as a document.
public struct MessageFacts: Sendable {
    public var history: DeadLetterHistory
    public var headers: [String: JSON]
    public var properties: [String: JSON]
    public var bodyText: String?
    public var bodyJSON: JSON?

    /// From a message off the wire.
    public init(history: DeadLetterHistory? = nil, properties: BasicProperties, body: ByteBuffer?) {
        self.history = history ?? DeadLetterHistory(headers: properties.headers)
        headers = properties.headers?.json.object ?? [:]
        self.properties = MessageView.decode(properties)
        let bytes = body.map { Array($0.readableBytesView) }
        bodyText = bytes.flatMap { String(validating: $0, as: UTF8.self) }
        bodyJSON = bytes.flatMap { try? JSON.parse(Data($0)) }
    }

    /// From a peeked message as the dashboard holds it; the body only when `body`.
    public init(_ view: MessageView, body: Bool = true) {
        history = view.deadLetter
        headers = view.headers?.object ?? [:]
        properties = view.properties
        bodyText = body && view.bodyEncoding != .hex ? view.body : nil
        bodyJSON = body && view.bodyEncoding == .json ? try? JSON.parse(Data(view.body.utf8)) : nil
    }
}
