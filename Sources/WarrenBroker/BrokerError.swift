import WarrenWire

/// A refusal the broker sends as `channel.close` (soft errors) or `connection.close` (hard
/// errors), with RabbitMQ's reply code and "NAME - detail" text.
struct BrokerError: Error {
    var code: ReplyCode
    var detail: String
    /// The method that failed, reported back in the close method.
    var classID: UInt16 = 0
    var methodID: UInt16 = 0

    var replyText: String { "\(code.name) - \(detail)" }
    var closesConnection: Bool { code.isHardError }

    init(_ code: ReplyCode, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    func during(_ method: AMQPMethod) -> BrokerError {
        var copy = self
        copy.classID = method.classID
        copy.methodID = method.methodID
        return copy
    }

    static func notFound(_ detail: String) -> BrokerError { BrokerError(.notFound, detail) }
    static func precondition(_ detail: String) -> BrokerError { BrokerError(.preconditionFailed, detail) }
    static func accessRefused(_ detail: String) -> BrokerError { BrokerError(.accessRefused, detail) }
    static func locked(_ detail: String) -> BrokerError { BrokerError(.resourceLocked, detail) }
    static func notImplemented(_ detail: String) -> BrokerError { BrokerError(.notImplemented, detail) }
    static func commandInvalid(_ detail: String) -> BrokerError { BrokerError(.commandInvalid, detail) }
    static func channelError(_ detail: String) -> BrokerError { BrokerError(.channelError, detail) }
    static func notAllowed(_ detail: String) -> BrokerError { BrokerError(.notAllowed, detail) }

    /// RabbitMQ's wording for a missing queue or exchange.
    static func noQueue(_ name: String, vhost: String) -> BrokerError {
        .notFound("no queue '\(name)' in vhost '\(vhost)'")
    }

    static func noExchange(_ name: String, vhost: String) -> BrokerError {
        .notFound("no exchange '\(name)' in vhost '\(vhost)'")
    }

    static func exclusiveQueue(_ name: String, vhost: String) -> BrokerError {
        .locked("cannot obtain exclusive access to locked queue '\(name)' in vhost '\(vhost)'. "
            + "It could be originally declared on another connection or the exclusive property value "
            + "does not match that of the original declaration.")
    }
}

extension String {
    /// At most 255 bytes of UTF-8, cut at a character boundary, so it fits a short string.
    var truncatedToShortString: String {
        guard utf8.count > 255 else { return self }
        var result = ""
        for character in self {
            guard result.utf8.count + character.utf8.count <= 255 else { break }
            result.append(character)
        }
        return result
    }
}
