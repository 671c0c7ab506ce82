import ArgumentParser
import WarrenClient

@main
struct Warren: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warren",
        abstract: "A terminal dashboard for RabbitMQ and other AMQP 0-9-1 brokers.",
        discussion: """
            `warren` alone runs the demo: the embedded broker with demo traffic and the dashboard on \
            it. `warren watch` opens the dashboard on any broker; `warren broker` runs the embedded \
            broker; queues, exchanges, consumers, nodes, check, peek, replay, purge, move, export, import and publish are for scripts.
            """,
        version: WarrenClientVersion.current,
        subcommands: [
            DemoCommand.self, WatchCommand.self, BrokerCommand.self, QueuesCommand.self, ExchangesCommand.self,
            ConsumersCommand.self, NodesCommand.self, PeekCommand.self, ReplayCommand.self, PurgeCommand.self,
            MoveCommand.self, PerfCommand.self, RenderBenchCommand.self, SnapshotBenchCommand.self,
            DeadLettersCommand.self, ExportCommand.self, ImportCommand.self, PublishCommand.self, CheckCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )
}
