import ArgumentParser
import Foundation
import WarrenDashboard
import WarrenMonitor
import WarrenTerminal

/// Options every dashboard command shares: theme, read-only, refresh.
struct DashboardFlags: ParsableArguments {
    @Flag(name: .long, help: "Disable peek, replay and purge; the header says READ-ONLY.")
    var readonly = false

    @Option(name: .long, help: ArgumentHelp("Seconds between polls (default: 1 for the embedded broker, 5 for RabbitMQ).",
                                            valueName: "seconds"))
    var refresh: Double?

    @Option(name: .long, help: ArgumentHelp("Theme name (see Themes/) or path to a .theme file.", valueName: "name|path"))
    var theme: String?

    func validate() throws {
        if let refresh, refresh < 0.2 || refresh > 3600 { throw ValidationError("--refresh must be 0.2 to 3600 seconds") }
    }

    /// Loads the theme: --theme, else the config file's, else the default. An unknown theme is an
    /// error; a broken theme file loads with warnings.
    func loadTheme(config: Config, profile: BrokerProfile?) throws -> (ThemeCatalog, ThemeLoad) {
        let environment = ProcessInfo.processInfo.environment
        let catalog = ThemeCatalog.standard(environment: environment, executablePath: CommandLine.arguments[0])
        let name = theme ?? profile?.theme ?? config.theme ?? "default"
        switch catalog.load(name) {
        case .success(let load): return (catalog, load)
        case .failure(let error): throw DashboardError(message: error.description)
        }
    }

    static var colorWanted: Bool {
        // https://no-color.org: any non-empty NO_COLOR turns colour off.
        (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}

struct DashboardError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "The dashboard on any RabbitMQ (or other AMQP 0-9-1) broker.",
        discussion: """
            Polls the management API (--management, $WARREN_MANAGEMENT_URL) and uses AMQP (--amqp, \
            $WARREN_AMQP_URL) for peek, replay and purge. Without a management API it watches the queues \
            named with --queue over AMQP alone. --broker NAME takes the URLs from a [broker NAME] section \
            of ~/.config/warren/config.
            """)

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var flags: DashboardFlags

    @Option(name: .long, help: ArgumentHelp("A named broker from the config file.", valueName: "name"))
    var context: String?

    @Option(name: .long, help: "Without a management API: a queue to watch over AMQP (repeatable).")
    var queue: [String] = []

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (config, configWarnings) = Config.load(environment: environment)
        for warning in configWarnings { printError("warren watch: \(warning)") }
        var options = broker
        var profile: BrokerProfile?
        let noURLGiven = broker.amqp == nil && broker.management == nil && environment["WARREN_AMQP_URL"] == nil
            && environment["WARREN_MANAGEMENT_URL"] == nil
        if let name = context ?? (noURLGiven ? config.defaultBroker : nil) {
            guard let found = config.broker(name) else {
                printError("warren watch: no [broker \(name)] in \(Config.directory(environment: environment) ?? "~/.config/warren")/config")
                throw ExitCode(ExitStatus.usage)
            }
            profile = found
            options.amqp = options.amqp ?? found.amqp
            options.management = options.management ?? found.management
        }
        let source: any MonitorSource
        do {
            if let management = try options.managementSource() {
                source = management
            } else if !queue.isEmpty {
                source = try AMQPSource(url: options.amqpURL, queues: queue)
            } else {
                printError("warren watch: give --management URL (or --queue NAME to watch over AMQP alone)")
                throw ExitCode(ExitStatus.usage)
            }
        } catch let error as MonitorError {
            printError("warren watch: \(error)")
            throw ExitCode(ExitStatus.of(error))
        }
        let catalog: ThemeCatalog
        let load: ThemeLoad
        do {
            (catalog, load) = try flags.loadTheme(config: config, profile: profile)
        } catch {
            printError("warren watch: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        await DashboardApp.run(DashboardOptions(
            source: source, amqpURL: options.amqpURL, interval: flags.refresh,
            readonly: flags.readonly || profile?.readonly == true, theme: load.theme, themeWarnings: load.warnings,
            catalog: catalog, color: DashboardFlags.colorWanted, alerts: config.alerts, bell: config.bell))
    }
}
