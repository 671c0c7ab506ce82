import ArgumentParser
import Foundation
import WarrenMonitor

/// --amqp / --management and their environment variables, shared by the scripting commands.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "AMQP URL (default: $WARREN_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/).", valueName: "url"))
    var amqp: String?

    @Option(name: .long, help: ArgumentHelp(
        "Management API URL (default: $WARREN_MANAGEMENT_URL, else http://guest:guest@127.0.0.1:15672/ "
            + "unless only an AMQP URL was given).", valueName: "url"))
    var management: String?

    @Option(name: .long, help: "Virtual host of the queue (default: the AMQP URL's).")
    var vhost: String?

    static let defaultAMQP = "amqp://guest:guest@127.0.0.1:5672/"
    static let defaultManagement = "http://guest:guest@127.0.0.1:15672/"

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    var amqpURL: String { amqp ?? environment["WARREN_AMQP_URL"] ?? Self.defaultAMQP }

    /// `nil` when only an AMQP URL was given: then the broker is treated as having no management API.
    var managementURL: String? {
        if let management { return management }
        if let fromEnvironment = environment["WARREN_MANAGEMENT_URL"] { return fromEnvironment }
        return amqp == nil && environment["WARREN_AMQP_URL"] == nil ? Self.defaultManagement : nil
    }

    /// The virtual host: --vhost, else the AMQP URL's path (`/` when it has none).
    var virtualHost: String {
        if let vhost { return vhost }
        guard let components = URLComponents(string: amqpURL) else { return "/" }
        let path = components.percentEncodedPath
        guard path.count > 1 else { return "/" }
        return String(path.dropFirst()).removingPercentEncoding ?? "/"
    }

    func managementSource(_ options: ManagementOptions = ManagementOptions(timeout: .seconds(8))) throws
        -> ManagementSource?
    {
        guard let url = managementURL else { return nil }
        return try ManagementSource(url: url, options: options)
    }
}

/// Exit codes of the scripting commands (documented in the README).
enum ExitStatus {
    static let failure: Int32 = 1
    static let refused: Int32 = 2
    static let incomplete: Int32 = 3
    static let usage: Int32 = 64
    static let notFound: Int32 = 66
    static let unreachable: Int32 = 69
    static let loginRefused: Int32 = 77

    static func of(_ error: MonitorError) -> Int32 {
        switch error {
        case .badURL: return usage
        case .loginRefused: return loginRefused
        case .unreachable: return unreachable
        case .notFound: return notFound
        case .needsForce: return refused
        default: return failure
        }
    }
}

/// Runs a command body; a failure becomes one line on stderr and its exit code, never a trace.
func reportingErrors(_ command: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let monitorError = MonitorError.from(error)
        printError("warren \(command): \(monitorError)")
        throw ExitCode(ExitStatus.of(monitorError))
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Prints a value as JSON on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Writes a JSON array as `printJSON` would, one element at a time: a list of 100,000 queues is
/// never held as rows and as one encoded document at once.
func streamJSONArray<T: Encodable>(_ elements: some Sequence<T>) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    var buffer = Data("[".utf8)
    var first = true
    for element in elements {
        buffer.append(contentsOf: (first ? "\n  " : ",\n  ").utf8)
        first = false
        let encoded = try encoder.encode(element)
        // Indent the element's lines by two, as inside a pretty-printed array.
        for byte in encoded {
            buffer.append(byte)
            if byte == UInt8(ascii: "\n") { buffer.append(contentsOf: [0x20, 0x20]) }
        }
        if buffer.count >= 1 << 16 {
            FileHandle.standardOutput.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
    buffer.append(contentsOf: (first ? "]\n" : "\n]\n").utf8)
    FileHandle.standardOutput.write(buffer)
}
