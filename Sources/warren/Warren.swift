import ArgumentParser
import WarrenClient

@main
struct Warren: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warren",
        abstract: "A terminal dashboard for RabbitMQ and other AMQP 0-9-1 brokers.",
        discussion: """
            Warren is being built in stages. This build contains the AMQP 0-9-1 wire layer, the \
            async client library and the embedded broker (`warren broker`); the dashboard and the \
            scripting subcommands are added as each one works.
            """,
        version: WarrenClientVersion.current,
        subcommands: [BrokerCommand.self, PerfCommand.self]
    )
}
