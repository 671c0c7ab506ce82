import ArgumentParser
import Foundation
import WarrenBroker
import WarrenDashboard
import WarrenManagement
import WarrenMonitor
import WarrenTerminal

/// `warren` with no arguments, and `warren demo`: the embedded broker, the demo topology and
/// workload, and the dashboard on them.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "The dashboard on the embedded broker with demo traffic (the default).",
        discussion: """
            Starts the embedded broker on free loopback ports with a 24 MiB memory limit and a temporary \
            data directory (removed when the demo stops), declares a topology that uses every exchange \
            type, dead lettering (rejects, TTL, length limit, a quorum delivery limit, a dead-letter \
            exchange that a policy sets), the manual retry \
            pattern and a backlog that grows until its messages page out to disk, runs traffic through \
            it, and opens the dashboard. q stops everything.
            """)

    @Flag(name: .long, help: "No dashboard: print the URLs and run until interrupted, for real clients.")
    var noUI = false

    @Option(name: .long, help: "AMQP port (default: a free one).")
    var amqpPort = 0

    @Option(name: .long, help: "Management API port (default: a free one).")
    var managementPort = 0

    @OptionGroup var flags: DashboardFlags

    /// Small, so that reports.backlog pages out within a minute: its messages go from alpha to
    /// beta (transient) and gamma (persistent) after about 15 s and a delta run starts at about 30 s.
    static let memoryLimit = 24 << 20

    func validate() throws {
        for port in [amqpPort, managementPort] where !(0...65535).contains(port) {
            throw ValidationError("ports must be 0 to 65535")
        }
    }

    func run() async throws {
        let (config, _) = Config.load(environment: ProcessInfo.processInfo.environment)
        let catalog: ThemeCatalog
        let load: ThemeLoad
        do {
            (catalog, load) = try flags.loadTheme(config: config, profile: nil)
        } catch {
            printError("warren demo: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("warren-demo-\(UUID().uuidString.prefix(8))").path
        let broker: Broker
        let management: ManagementServer
        do {
            var configuration = BrokerConfiguration(
                host: "127.0.0.1", amqpPort: amqpPort, clusterName: "warren-demo", memoryLimit: Self.memoryLimit)
            configuration.dataDirectory = dataDirectory
            broker = try await Broker.start(configuration)
        } catch {
            printError("warren demo: cannot start the embedded broker on 127.0.0.1:\(amqpPort): \(error)")
            try? FileManager.default.removeItem(atPath: dataDirectory)
            throw ExitCode.failure
        }
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        do {
            // Statistics every second, so the demo's rates move as fast as the dashboard polls.
            management = try await ManagementServer.start(broker: broker, host: "127.0.0.1", port: managementPort,
                                                          sampleInterval: 1)
        } catch {
            printError("warren demo: cannot start the management API on 127.0.0.1:\(managementPort): \(error)")
            try? await broker.shutdown()
            throw ExitCode.failure
        }
        let amqpURL = "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/"
        let managementURL = "http://guest:guest@127.0.0.1:\(management.port)/"
        let workload: DemoWorkload
        do {
            _ = try await broker.withOperations { (operations) throws(ManagementError) in
                try operations.putPolicy(DemoTopology.policy, operator: false)
            }
            workload = try await DemoWorkload.start(amqpURL: amqpURL)
        } catch {
            printError("warren demo: the demo workload could not start: \(error)")
            await management.shutdown()
            try? await broker.shutdown()
            throw ExitCode.failure
        }

        if noUI {
            FileHandle.standardOutput.write(Data("""
                warren demo: AMQP on \(amqpURL)
                warren demo: management on \(managementURL)
                warren demo: data in \(dataDirectory) (removed when it stops)
                warren demo: watch it with: warren watch --amqp \(amqpURL) --management \(managementURL)
                warren demo: running; Ctrl-C stops it

                """.utf8))
            await waitForTerminationSignal()
        } else {
            let source = try ManagementSource(url: managementURL)
            await DashboardApp.run(DashboardOptions(
                source: source, amqpURL: amqpURL, interval: flags.refresh ?? 1, readonly: flags.readonly,
                theme: load.theme, themeWarnings: load.warnings, catalog: catalog, color: DashboardFlags.colorWanted,
                notice: "demo on \(amqpURL) · 24 MiB memory limit: the backlog queue pages out to disk "
                    + "(α → β/γ → δ) within a minute"))
        }
        await Self.stop(workload: workload, management: management, broker: broker)
    }

    /// Stops traffic, management and broker, giving up waiting after 800 ms: the process is
    /// exiting, and a user who pressed q should get the shell back at once.
    static func stop(workload: DemoWorkload, management: ManagementServer, broker: Broker) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await workload.stop()
                await management.shutdown()
                try? await broker.shutdown()
            }
            group.addTask { try? await Task.sleep(for: .milliseconds(800)) }
            await group.next()
            group.cancelAll()
        }
    }
}
