import Foundation
import WarrenMonitor

/// A named broker from the config file (a "context", as kubectl calls them).
public struct BrokerProfile: Sendable, Hashable {
    public var name: String
    public var management: String?
    public var amqp: String?
    public var readonly: Bool?
    public var theme: String?

    public init(name: String) {
        self.name = name
    }
}

/// `$XDG_CONFIG_HOME/warren/config` (else `~/.config/warren/config`): a default theme and
/// named brokers, in INI form:
///
///     theme = light
///     broker = prod              # used when no URL is given
///
///     [broker prod]
///     management = https://ops:secret@rabbit.example.com:15672/
///     amqp = amqps://ops:secret@rabbit.example.com:5671/
///     readonly = true
///
///     [alerts]                   # what `warren check` and the dashboard alert on
///     dlq_depth = 100            # a dead-letter queue holds more than 100 messages
///     dlq_growth = 60            # a dead-letter queue grows by more than 60 a minute
///     ready = 10000              # a queue has more than 10,000 ready messages
///     no_consumers = true        # a queue that had consumers has none
///     node_alarms = true         # a node's memory or disk alarm (the default)
///     bell = true                # the dashboard rings the bell when an alert appears
public struct Config: Sendable, Hashable {
    public var theme: String?
    public var defaultBroker: String?
    public var brokers: [BrokerProfile] = []
    public var alerts = AlertThresholds()
    public var bell = false

    public init() {}

    public func broker(_ name: String) -> BrokerProfile? { brokers.first { $0.name == name } }

    /// The folder Warren's config lives in.
    public static func directory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/warren" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/warren" }
        return nil
    }

    /// Reads the config file if there is one; warnings for lines it cannot use.
    public static func load(environment: [String: String]) -> (Config, [String]) {
        guard let directory = directory(environment: environment),
              let data = FileManager.default.contents(atPath: directory + "/config"),
              let text = String(data: data, encoding: .utf8)
        else { return (Config(), []) }
        return parse(text, origin: directory + "/config")
    }

    /// Parses config text. Unknown keys and sections are warned about, never fatal.
    public static func parse(_ text: String, origin: String = "config") -> (Config, [String]) {
        var config = Config()
        var warnings: [String] = []
        var current: Int?  // index into brokers
        var inAlerts = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#"), !line[..<hash].contains("\"") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let here = "\(origin):\(index + 1)"
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                let words = trimmed.dropFirst().dropLast().split(separator: " ", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                inAlerts = false
                if words == ["alerts"] {
                    inAlerts = true
                    current = nil
                } else if words.count == 2, words[0] == "broker", !words[1].isEmpty {
                    config.brokers.removeAll { $0.name == words[1] }
                    config.brokers.append(BrokerProfile(name: words[1]))
                    current = config.brokers.count - 1
                } else {
                    warnings.append("\(here): unknown section \(trimmed), expected [broker NAME] or [alerts]")
                    current = nil
                }
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                warnings.append("\(here): expected key = value")
                continue
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if inAlerts {
                if let warning = parseAlert(key: key, value: value, into: &config) { warnings.append("\(here): \(warning)") }
            } else if let current {
                switch key {
                case "management": config.brokers[current].management = value
                case "amqp": config.brokers[current].amqp = value
                case "theme": config.brokers[current].theme = value
                case "readonly": config.brokers[current].readonly = ["true", "yes", "1"].contains(value.lowercased())
                default: warnings.append("\(here): unknown broker key '\(key)'")
                }
            } else {
                switch key {
                case "theme": config.theme = value
                case "broker": config.defaultBroker = value
                default: warnings.append("\(here): unknown key '\(key)'")
                }
            }
        }
        return (config, warnings)
    }

    /// Applies one key of `[alerts]`; a warning when the key or its value is not understood.
    private static func parseAlert(key: String, value: String, into config: inout Config) -> String? {
        func count() -> Int? { Int(value).flatMap { $0 >= 0 ? $0 : nil } }
        func flag() -> Bool? {
            switch value.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: return nil
            }
        }
        switch key {
        case "dlq_depth", "dlq_growth", "ready":
            guard let number = count() else { return "alerts key '\(key)' wants a whole number, got '\(value)'" }
            if key == "dlq_depth" { config.alerts.dlqDepth = number }
            if key == "dlq_growth" { config.alerts.dlqGrowthPerMinute = number }
            if key == "ready" { config.alerts.ready = number }
        case "no_consumers", "node_alarms", "bell":
            guard let on = flag() else { return "alerts key '\(key)' wants true or false, got '\(value)'" }
            if key == "no_consumers" { config.alerts.noConsumers = on }
            if key == "node_alarms" { config.alerts.nodeAlarms = on }
            if key == "bell" { config.bell = on }
        default:
            return "unknown alerts key '\(key)'"
        }
        return nil
    }
}
