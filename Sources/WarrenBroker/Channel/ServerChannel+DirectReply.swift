import NIOCore
import WarrenWire

/// RabbitMQ's direct reply-to: a client consumes the pseudo-queue `amq.rabbitmq.reply-to` (with
/// no-ack), publishes requests with `reply_to: amq.rabbitmq.reply-to`, which the broker rewrites
/// to a key naming this channel, and replies published to the default exchange with that key go
/// straight to the consumer without any queue.
extension ServerChannel {
    static let replyToQueue = "amq.rabbitmq.reply-to"
    static let replyToPrefix = "amq.rabbitmq.reply-to."

    /// Where replies for one channel go.
    final class ReplyConsumer {
        let tag: String
        let key: String
        weak var channel: ServerChannel?

        init(tag: String, key: String, channel: ServerChannel) {
            self.tag = tag
            self.key = key
            self.channel = channel
        }
    }

    func consumeReplies(_ consume: BasicConsume) throws(BrokerError) {
        guard consume.noAck else { throw .precondition("reply consumer cannot acknowledge") }
        guard replyConsumer == nil else { throw .precondition("reply consumer already set") }
        let tag = consume.consumerTag.isEmpty ? "amq.ctag-" + ServerChannel.randomToken() : consume.consumerTag
        if consumers[tag] != nil { throw .notAllowed("attempt to reuse consumer tag '\(tag)'") }
        let consumer = ReplyConsumer(tag: tag, key: ServerChannel.randomToken(), channel: self)
        replyConsumer = consumer
        connection.broker.replyConsumers[consumer.key] = consumer
        if !consume.noWait { connection.send(channel: id, BasicConsumeOk(consumerTag: tag)) }
    }

    /// Cancels the reply consumer if `tag` is its tag; returns whether it was.
    func cancelReplies(tag: String) -> Bool {
        guard let consumer = replyConsumer, consumer.tag == tag else { return false }
        connection.broker.replyConsumers[consumer.key] = nil
        replyConsumer = nil
        return true
    }

    /// The `reply_to` a request is delivered with: the pseudo-queue's name becomes this channel's key.
    func rewriteReplyTo(_ properties: BasicProperties) throws(BrokerError) -> BasicProperties {
        guard properties.replyTo == Self.replyToQueue else { return properties }
        guard let consumer = replyConsumer else { throw .precondition("fast reply consumer does not exist") }
        var rewritten = properties
        rewritten.replyTo = Self.replyToPrefix + consumer.key
        return rewritten
    }

    /// Delivers a reply published to the default exchange with a reply key. A key whose channel is
    /// gone drops the reply, as RabbitMQ does.
    func deliverReply(_ message: Message) {
        let key = String(message.routingKey.dropFirst(Self.replyToPrefix.count))
        guard let consumer = connection.broker.replyConsumers[key], let target = consumer.channel else { return }
        let tag = target.nextDeliveryTag
        target.nextDeliveryTag += 1
        target.connection.sendContent(
            channel: target.id,
            BasicDeliver(consumerTag: consumer.tag, deliveryTag: tag, redelivered: false, exchange: "",
                         routingKey: message.routingKey),
            properties: message.properties, message: message)
    }
}
