import ArgumentParser
import WarrenClient

@main
struct Warren: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warren",
        abstract: "A terminal dashboard for RabbitMQ and other AMQP 0-9-1 brokers.",
        discussion: """
            Warren is being built in stages. This build contains the AMQP 0-9-1 wire layer, the \
            async client library, the embedded broker (`warren broker`) and the scripting commands \
            (queues, exchanges, consumers, nodes, peek, replay, purge, move); the dashboard is added \
            when it works.
            """,
        version: WarrenClientVersion.current,
        subcommands: [
            BrokerCommand.self, QueuesCommand.self, ExchangesCommand.self, ConsumersCommand.self, NodesCommand.self,
            PeekCommand.self, ReplayCommand.self, PurgeCommand.self, MoveCommand.self, PerfCommand.self,
        ]
    )
}
