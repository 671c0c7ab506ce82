import ArgumentParser
import Foundation
import WarrenMonitor
import WarrenWire

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one message, with publisher confirms, after a preview of the queues it reaches.",
        discussion: """
            The preview follows the bindings the management API lists (direct, fanout, topic and headers \
            exchanges, exchange-to-exchange bindings, alternate exchanges); --preview shows it and \
            publishes nothing. The message goes out with mandatory: the exit status is 3 when the broker \
            returns it as unroutable or nacks it. The body comes from --body, --body-file (- is stdin) or \
            stdin. Headers are NAME=VALUE (a string) or NAME:TYPE=VALUE with TYPE one of string, int, \
            long, bool, double, timestamp; properties use the management API's names \
            (content_type=application/json, delivery_mode=2, priority=5, message_id=...).
            """)

    @OptionGroup var broker: BrokerOptions
    @Option(name: .long, help: "The exchange (default: the default exchange).") var exchange = ""
    @Option(name: [.customLong("routing-key"), .customShort("k")], help: "The routing key.") var routingKey = ""
    @Option(name: .long, help: "The body as text.") var body: String?
    @Option(name: .customLong("body-file"), help: ArgumentHelp("The body from a file (- is stdin).", valueName: "file"))
    var bodyFile: String?
    @Option(name: [.customLong("header"), .customShort("H")], help: ArgumentHelp("A header.", valueName: "name[:type]=value"))
    var headers: [String] = []
    @Option(name: [.customLong("property"), .customShort("p")], help: ArgumentHelp("A basic property.", valueName: "name=value"))
    var properties: [String] = []
    @Flag(name: .long, help: "Show where the message would go and publish nothing.") var preview = false
    @Flag(name: .long, help: "JSON output.") var json = false

    struct Outcome: Encodable {
        var exchange: String
        var routingKey: String
        var preview: RoutePreview?
        var published: Bool
        var routed: Bool?
        var nacked: Bool?
    }

    func validate() throws {
        if body != nil && bodyFile != nil { throw ValidationError("give --body or --body-file, not both") }
        _ = try message(body: [])
    }

    /// The message the options describe, with `body`.
    func message(body: [UInt8]) throws -> ExportedMessage {
        var values = BasicProperties()
        for property in properties {
            let (name, value) = try Self.split(property, "--property")
            try Self.set(name, value, on: &values)
        }
        var table: [(String, FieldValue)] = []
        for header in headers {
            let (name, value) = try Self.split(header, "--header")
            table.append(try Self.header(name, value))
        }
        if !table.isEmpty { values.headers = FieldTable(table) }
        return ExportedMessage(exchange: exchange, routingKey: routingKey, properties: values, body: body)
    }

    func run() async throws {
        try await reportingErrors("publish") {
            let message = try message(body: try readBody())
            let vhost = broker.virtualHost
            var outcome = Outcome(exchange: exchange, routingKey: routingKey, preview: nil, published: false)
            if let management = try broker.managementSource() {
                let topology = try await management.routingTopology(vhost: vhost)
                outcome.preview = RoutePreview.of(
                    exchange: exchange, routingKey: routingKey, headers: message.properties.headers, vhost: vhost,
                    exchanges: topology.exchanges, bindings: topology.bindings, queues: topology.queues)
            } else if preview {
                throw MonitorError.failed("--preview needs the management API (--management)")
            }
            if !json, let route = outcome.preview { print(Self.describe(route)) }
            if !preview {
                let report = try await Import.publish(
                    amqpURL: broker.amqpURL, messages: [(1, message)], from: "the message",
                    options: ImportOptions(target: .exchange(exchange, routingKey: routingKey)))
                outcome.published = true
                outcome.routed = report.published == 1
                outcome.nacked = report.nacked > 0
                if !json {
                    print(report.published == 1 ? "published: confirmed and routed"
                        : report.returned > 0 ? "published: returned by the broker as unroutable"
                        : "published: nacked by the broker")
                }
            }
            if json { try printJSON(outcome) }
            if outcome.published && outcome.routed != true { throw ExitCode(ExitStatus.incomplete) }
        }
    }

    func readBody() throws -> [UInt8] {
        if let body { return Array(body.utf8) }
        let handle: FileHandle
        if let bodyFile, bodyFile != "-" {
            guard let file = FileHandle(forReadingAtPath: bodyFile) else {
                throw MonitorError.notFound("cannot open '\(bodyFile)'")
            }
            handle = file
        } else {
            handle = FileHandle.standardInput
        }
        return Array(handle.readDataToEndOfFile())
    }

    static func describe(_ route: RoutePreview) -> String {
        var text = route.unroutable ? "would reach no queue (unroutable)"
            : "would reach \(route.queues.count) queue\(route.queues.count == 1 ? "" : "s"): "
                + route.queues.map(\.name).joined(separator: ", ")
        if route.exchanges.count > 1 { text += "\n  through " + route.exchanges.map { $0.isEmpty ? "(default)" : $0 }.joined(separator: " → ") }
        if !route.alternates.isEmpty { text += "\n  alternate exchange used: " + route.alternates.joined(separator: ", ") }
        for note in route.notes { text += "\n  note: \(note)" }
        return text
    }

    static func split(_ text: String, _ option: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ValidationError("\(option) takes NAME=VALUE, got '\(text)'")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    static func header(_ spec: String, _ value: String) throws -> (String, FieldValue) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts[0]
        let type = parts.count > 1 ? parts[1] : "string"
        func bad() -> ValidationError { ValidationError("--header \(spec)=\(value): '\(value)' is not a valid \(type)") }
        switch type {
        case "string": return (name, .string(value))
        case "int": guard let v = Int32(value) else { throw bad() }; return (name, .int32(v))
        case "long": guard let v = Int64(value) else { throw bad() }; return (name, .int64(v))
        case "bool": guard let v = Bool(value) else { throw bad() }; return (name, .bool(v))
        case "double": guard let v = Double(value) else { throw bad() }; return (name, .double(v))
        case "timestamp": guard let v = UInt64(value) else { throw bad() }; return (name, .timestamp(v))
        default: throw ValidationError("--header \(spec): unknown type '\(type)' (string, int, long, bool, double, timestamp)")
        }
    }

    static func set(_ name: String, _ value: String, on p: inout BasicProperties) throws {
        func number<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard let v = T(value) else { throw ValidationError("--property \(name)=\(value): not a number in range") }
            return v
        }
        switch name {
        case "content_type": p.contentType = value
        case "content_encoding": p.contentEncoding = value
        case "delivery_mode":
            p.deliveryMode = try number(UInt8.self)
            guard p.deliveryMode == 1 || p.deliveryMode == 2 else {
                throw ValidationError("--property delivery_mode is 1 (transient) or 2 (persistent)")
            }
        case "priority": p.priority = try number(UInt8.self)
        case "correlation_id": p.correlationID = value
        case "reply_to": p.replyTo = value
        case "expiration":
            _ = try number(UInt32.self)
            p.expiration = value
        case "message_id": p.messageID = value
        case "timestamp": p.timestamp = try number(UInt64.self)
        case "type": p.type = value
        case "user_id": p.userID = value
        case "app_id": p.appID = value
        case "cluster_id": p.clusterID = value
        default:
            throw ValidationError("--property: unknown property '\(name)' (content_type, content_encoding, "
                + "delivery_mode, priority, correlation_id, reply_to, expiration, message_id, timestamp, type, "
                + "user_id, app_id, cluster_id)")
        }
    }
}
