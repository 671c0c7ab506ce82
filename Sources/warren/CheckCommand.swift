import ArgumentParser
import Foundation
import WarrenDashboard
import WarrenMonitor

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Evaluate the alert thresholds once, for cron and monitoring scripts.",
        discussion: """
            Thresholds come from the [alerts] section of ~/.config/warren/config; the flags override \
            it. Prints one line per alert on stdout (nothing when none fires) and exits 1 when any \
            fires, 0 when none does. Node alarms are checked unless --no-node-alarms. --no-consumers \
            counts a queue as having had consumers when its statistics show deliveries to consumers.
            """)

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: ArgumentHelp("A named broker from the config file.", valueName: "name"))
    var context: String?

    @Option(name: .customLong("dlq-depth"), help: ArgumentHelp("Alert when a dead-letter queue holds more than N messages.",
                                                               valueName: "N"))
    var dlqDepth: Int?

    @Option(name: .customLong("dlq-growth"), help: ArgumentHelp(
        "Alert when a dead-letter queue grows by more than N messages a minute.", valueName: "N"))
    var dlqGrowth: Int?

    @Option(name: .long, help: ArgumentHelp("Alert when a queue has more than N ready messages.", valueName: "N"))
    var ready: Int?

    @Flag(name: .customLong("no-consumers"), help: "Alert on a queue with no consumers that had some.")
    var noConsumers = false

    @Flag(name: .customLong("no-node-alarms"), help: "Do not alert on nodes' memory and disk alarms.")
    var noNodeAlarms = false

    @Flag(name: .long, help: "Print the alerts as a JSON array (empty when none fires).")
    var json = false

    func validate() throws {
        for (name, value) in [("--dlq-depth", dlqDepth), ("--dlq-growth", dlqGrowth), ("--ready", ready)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more") }
        }
    }

    /// The config file's thresholds with the flags over them.
    func thresholds(_ config: Config) -> AlertThresholds {
        var thresholds = config.alerts
        if let dlqDepth { thresholds.dlqDepth = dlqDepth }
        if let dlqGrowth { thresholds.dlqGrowthPerMinute = dlqGrowth }
        if let ready { thresholds.ready = ready }
        if noConsumers { thresholds.noConsumers = true }
        if noNodeAlarms { thresholds.nodeAlarms = false }
        return thresholds
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (config, configWarnings) = Config.load(environment: environment)
        for warning in configWarnings { printError("warren check: \(warning)") }
        var options = broker
        let noURLGiven = broker.amqp == nil && broker.management == nil && environment["WARREN_AMQP_URL"] == nil
            && environment["WARREN_MANAGEMENT_URL"] == nil
        if let name = context ?? (noURLGiven ? config.defaultBroker : nil) {
            guard let profile = config.broker(name) else {
                printError("warren check: no [broker \(name)] in \(Config.directory(environment: environment) ?? "~/.config/warren")/config")
                throw ExitCode(ExitStatus.usage)
            }
            options.amqp = options.amqp ?? profile.amqp
            options.management = options.management ?? profile.management
        }
        let thresholds = thresholds(config)
        if thresholds.isEmpty {
            printError("warren check: no threshold to check: give --dlq-depth, --dlq-growth, --ready or --no-consumers")
            throw ExitCode(ExitStatus.usage)
        }
        var alerts: [Alert] = []
        try await reportingErrors("check") {
            // Every queue's statistics when they are looked at: on a large broker the poll plan
            // would otherwise give them for dead-letter queues only.
            let snapshot = try await takeSnapshot(options, withoutClients: true,
                                                  everyQueuesStatistics: thresholds.noConsumers)
            alerts = Alerts.evaluate(snapshot, thresholds: thresholds, vhost: broker.vhost)
            if json {
                try streamJSONArray(alerts)
            } else {
                for alert in alerts { print(alert.line) }
            }
            for gap in snapshot.gaps where gap != ManagementSource.skippedClientsGap { printError("note: \(gap)") }
        }
        if !alerts.isEmpty { throw ExitCode(ExitStatus.failure) }
    }
}
