import ArgumentParser
import WarrenClient

@main
struct Warren: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warren",
        abstract: "A terminal dashboard for RabbitMQ and other AMQP 0-9-1 brokers.",
        discussion: """
            Warren is being built in stages. This build contains the AMQP 0-9-1 wire layer and the \
            async client library (WarrenWire, WarrenClient); the dashboard, the embedded broker and \
            the scripting subcommands are added as each one works.
            """,
        version: WarrenClientVersion.current
    )
}
