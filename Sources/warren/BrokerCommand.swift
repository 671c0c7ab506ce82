import ArgumentParser
import Foundation
import WarrenBroker
import WarrenManagement

/// `warren broker`: the embedded AMQP 0-9-1 broker alone, in the foreground.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run Warren's embedded AMQP 0-9-1 broker in the foreground (Ctrl-C stops it).",
        discussion: """
            Without --data-dir everything is held in memory. With it, durable vhosts, exchanges, queues \
            and bindings and persistent messages in durable queues survive restarts and crashes, and \
            publisher confirms for those messages are sent only once they are fsynced. Under memory pressure \
            queues page messages out of RAM (alpha, beta, gamma, delta, as RabbitMQ's classic queues do), into \
            DATA-DIR/paging or a temporary directory. The user guest:guest exists and, as in RabbitMQ, is an \
            administrator that may only connect from loopback; --user adds users that may connect from anywhere, \
            with the tags given after a second colon (none without: such a user may use AMQP but not the \
            management API). Every user given here has full permissions (configure, write, read: .*) on / and \
            on each --vhost. With --tls-cert and --tls-key the broker also speaks AMQP over TLS on \
            --amqps-port and the management API over HTTPS on --management-tls-port, beside the plain \
            listeners. A refused login is logged on standard error and, as in RabbitMQ, its connection is \
            closed only after 3 s.
            """
    )

    @Option(name: .long, help: "AMQP port (0 picks a free one).")
    var amqpPort: Int = 5672

    @Option(name: .long, help: "Management HTTP API port, RabbitMQ-compatible, with /metrics (0 picks a free one).")
    var managementPort: Int = 15672

    @Option(name: .long, help: "Address to listen on.")
    var bind: String = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp(
        "A user as NAME:PASSWORD or NAME:PASSWORD:TAGS, tags separated by commas (administrator, monitoring, policymaker, management, impersonator); none if omitted. A password with a colon needs the tags part, even empty (NAME:PA:SS:). Repeatable.",
        valueName: "name:password[:tags]"))
    var user: [String] = []

    @Option(name: .long, help: ArgumentHelp("A virtual host besides / (repeatable).", valueName: "name"))
    var vhost: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Memory for queued messages (e.g. 512MiB, 2GB; default 40% of RAM): above half of it queues page messages to disk, above it publishers are blocked.",
        valueName: "size"))
    var memoryLimit: String?

    @Option(name: .long, help: ArgumentHelp(
        "Block publishers while the data directory's disk (the temporary directory's without one) has less free space than this (default 50MB, as RabbitMQ).",
        valueName: "size"))
    var diskFreeLimit: String?

    @Option(name: .long, help: ArgumentHelp(
        "Keep durable definitions and persistent messages in this directory (created if missing).",
        valueName: "path"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "PEM certificate chain (the server's certificate first) for AMQPS and HTTPS; needs --tls-key.",
        valueName: "path"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "path"))
    var tlsKey: String?

    @Option(name: .long, help: "AMQPS (AMQP over TLS) port, with --tls-cert and --tls-key (0 picks a free one).")
    var amqpsPort: Int = 5671

    @Option(name: .long, help: "Management API over HTTPS, with --tls-cert and --tls-key (0 picks a free one).")
    var managementTlsPort: Int = 15671

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        for (name, port) in [("--amqps-port", amqpsPort), ("--management-tls-port", managementTlsPort)]
        where !(0...65535).contains(port) {
            throw ValidationError("\(name) must be 0 to 65535")
        }
        guard (0...65535).contains(amqpPort) else { throw ValidationError("--amqp-port must be 0 to 65535") }
        guard (0...65535).contains(managementPort) else {
            throw ValidationError("--management-port must be 0 to 65535")
        }
        for entry in user where !entry.contains(":") || entry.hasPrefix(":") {
            throw ValidationError("--user takes NAME:PASSWORD[:TAGS], got '\(entry)'")
        }
        if let memoryLimit, parseSize(memoryLimit) == nil {
            throw ValidationError("--memory-limit takes a size such as 64MiB, 1GB or 1048576, got '\(memoryLimit)'")
        }
        if let diskFreeLimit, parseSize(diskFreeLimit) == nil {
            throw ValidationError("--disk-free-limit takes a size such as 50MB, 2GiB or 1048576, got '\(diskFreeLimit)'")
        }
    }

    /// NAME:PASSWORD or NAME:PASSWORD:TAGS; the tags are after the last colon, so a password
    /// with a colon in it is given with a tags part, even an empty one.
    static func parseUser(_ entry: String) -> BrokerConfiguration.User {
        let colon = entry.firstIndex(of: ":")!
        let name = String(entry[..<colon])
        var password = String(entry[entry.index(after: colon)...])
        var tags: [String] = []
        if let last = password.lastIndex(of: ":") {
            tags = password[password.index(after: last)...].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            password = String(password[..<last])
        }
        return BrokerConfiguration.User(name: name, password: password, tags: tags)
    }

    func run() async throws {
        var users = [BrokerConfiguration.User(name: "guest", password: "guest", loopbackOnly: true,
                                              tags: [UserTag.administrator])]
        for entry in user {
            let given = Self.parseUser(entry)
            users.removeAll { $0.name == given.name }
            users.append(given)
        }
        let vhosts = ["/"] + vhost.filter { $0 != "/" }
        var configuration = BrokerConfiguration(
            host: bind, amqpPort: amqpPort, users: users, virtualHosts: vhosts,
            memoryLimit: memoryLimit.flatMap(parseSize))
        configuration.permissions = users.flatMap { user in vhosts.map { Permission(user: user.name, vhost: $0) } }
        configuration.dataDirectory = dataDir
        // guest is created in a fresh data directory only, as RabbitMQ's default user; a
        // `--user guest:...` sets it at every start like any other --user.
        if !users.contains(where: { $0.name == "guest" && !$0.loopbackOnly }) { configuration.defaultUserNames = ["guest"] }
        if let limit = diskFreeLimit.flatMap(parseSize) { configuration.diskFreeLimit = limit }
        var managementTLS: BrokerConfiguration.TLSListener?
        if let tlsCert, let tlsKey {
            configuration.tls = .init(certificateChainFile: tlsCert, privateKeyFile: tlsKey, port: amqpsPort)
            managementTLS = .init(certificateChainFile: tlsCert, privateKeyFile: tlsKey, port: managementTlsPort)
        }
        configuration.log = { line in
            let stamp = Date().formatted(.iso8601)
            FileHandle.standardError.write(Data("warren broker: \(stamp) \(line)\n".utf8))
        }
        let broker: Broker
        do {
            broker = try await Broker.start(configuration)
        } catch {
            let message = error is BrokerStartError ? "\(error)" : "cannot start on \(bind):\(amqpPort): \(error)"
            FileHandle.standardError.write(Data("warren broker: \(message)\n".utf8))
            throw ExitCode.failure
        }
        let management: ManagementServer
        do {
            management = try await ManagementServer.start(broker: broker, host: bind, port: managementPort,
                                                          tls: managementTLS)
        } catch {
            let ports = managementTLS.map { "\(managementPort) or \($0.port)" } ?? "\(managementPort)"
            FileHandle.standardError.write(Data(
                "warren broker: cannot listen on \(bind):\(ports) for management: \(error)\n".utf8))
            try await broker.shutdown()
            throw ExitCode.failure
        }
        // Written unbuffered: scripts read the ports from these lines through a pipe.
        FileHandle.standardOutput.write(Data("warren broker: AMQP on amqp://\(bind):\(broker.amqpPort)/ (Ctrl-C to stop)\n".utf8))
        if let port = broker.amqpsPort {
            FileHandle.standardOutput.write(Data("warren broker: AMQPS on amqps://\(bind):\(port)/\n".utf8))
        }
        FileHandle.standardOutput.write(Data("warren broker: management on http://\(bind):\(management.port)/\n".utf8))
        if let port = management.tlsPort {
            FileHandle.standardOutput.write(Data("warren broker: management on https://\(bind):\(port)/\n".utf8))
        }
        await waitForTerminationSignal()
        print("warren broker: shutting down")
        await management.shutdown()
        try await broker.shutdown()
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTerminationSignal() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "warren.signals")
        let once = SignalOnce(continuation)
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { once.fire() }
            source.resume()
            once.keep(source)
        }
    }
}

/// Resumes a continuation on the first signal only; keeps the signal sources alive.
private final class SignalOnce: @unchecked Sendable {
    // Only touched on the signal queue (fire) or before any signal can arrive (keep).
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }

    func fire() {
        continuation?.resume()
        continuation = nil
    }
}

/// Bytes from "1048576", "64k", "64KiB", "512MB", "2GiB" (k/M/G are powers of 1024, as RabbitMQ reads them).
func parseSize(_ text: String) -> Int? {
    let lowered = text.lowercased()
    let digits = lowered.prefix { $0.isNumber }
    guard let number = Int(digits), number > 0 else { return nil }
    let units: [String: Int] = ["": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
                                "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30]
    guard let unit = units[String(lowered.dropFirst(digits.count))] else { return nil }
    let (bytes, overflow) = number.multipliedReportingOverflow(by: unit)
    return overflow ? nil : bytes
}
