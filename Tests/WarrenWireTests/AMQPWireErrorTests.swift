import Testing

@testable import WarrenWire

@Suite("AMQPWireError")
struct AMQPWireErrorTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var error: AMQPWireError
        var code: UInt16
        var text: String
        var testDescription: String { "\(error)" }
    }

    @Test(arguments: [
        Expectation(error: .frameTooLarge(type: 3, size: 5000, maximum: 4088), code: 501,
                    text: "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}"),
        Expectation(error: .badFrameEnd(0xAB), code: 501, text: "FRAME_ERROR - invalid frame end marker 0xab"),
        Expectation(error: .unknownFrameType(9), code: 501, text: "FRAME_ERROR - unknown frame type 9"),
        Expectation(error: .malformedHeartbeat(channel: 1), code: 501,
                    text: "FRAME_ERROR - malformed heartbeat frame on channel 1"),
        Expectation(error: .truncatedMethodFrame, code: 501,
                    text: "FRAME_ERROR - method frame too short for class and method ids"),
        Expectation(error: .malformedContentHeader(reason: "x"), code: 501,
                    text: "FRAME_ERROR - cannot decode content header: x"),
        Expectation(error: .badProtocolHeader([1, 2]), code: 501, text: "FRAME_ERROR - bad protocol header"),
        Expectation(error: .malformedMethod(classID: 60, methodID: 40, reason: "truncated"), code: 502,
                    text: "SYNTAX_ERROR - cannot decode basic.publish: truncated"),
        Expectation(error: .malformedMethod(classID: 61, methodID: 1, reason: "truncated"), code: 502,
                    text: "SYNTAX_ERROR - cannot decode 61.1: truncated"),
        Expectation(error: .malformedFieldTable(reason: "nesting too deep"), code: 502,
                    text: "SYNTAX_ERROR - cannot decode field table: nesting too deep"),
        Expectation(error: .shortStringTooLong(length: 300), code: 502,
                    text: "SYNTAX_ERROR - short string of 300 bytes exceeds 255"),
        Expectation(error: .unknownMethod(classID: 60, methodID: 99), code: 503,
                    text: "COMMAND_INVALID - unknown method 60.99"),
        Expectation(error: .unexpectedFrame(channel: 3, reason: "content body without a content header"), code: 505,
                    text: "UNEXPECTED_FRAME - content body without a content header on channel 3"),
        Expectation(error: .contentTooLarge(size: 10, maximum: 5), code: 406,
                    text: "PRECONDITION_FAILED - message size 10 is larger than configured max size 5"),
    ])
    func replyCodeAndText(expectation: Expectation) {
        #expect(expectation.error.replyCode == expectation.code)
        #expect(expectation.error.replyText == expectation.text)
        #expect(expectation.error.description == expectation.text)
        #expect(expectation.text.hasSuffix(expectation.error.detail))
        let name = ReplyCode(rawValue: expectation.code)?.name
        #expect(expectation.error.replyText.hasPrefix("\(name ?? "?") - "))
    }

    @Test func onlyContentTooLargeIsASoftError() {
        let errors: [AMQPWireError] = [
            .frameTooLarge(type: 1, size: 1, maximum: 0), .badFrameEnd(0), .unknownFrameType(0), .malformedHeartbeat(channel: 1),
            .truncatedMethodFrame, .unknownMethod(classID: 0, methodID: 0),
            .malformedMethod(classID: 0, methodID: 0, reason: ""), .malformedContentHeader(reason: ""),
            .malformedFieldTable(reason: ""), .shortStringTooLong(length: 256), .unexpectedFrame(channel: 0, reason: ""),
            .badProtocolHeader([]),
        ]
        for error in errors {
            #expect(ReplyCode(rawValue: error.replyCode)?.isHardError == true, "\(error)")
        }
        #expect(ReplyCode(rawValue: AMQPWireError.contentTooLarge(size: 2, maximum: 1).replyCode)?.isHardError == false)
    }

    @Test func replyCodesMatchTheSpec() {
        #expect(ReplyCode.frameError.rawValue == 501)
        #expect(ReplyCode.syntaxError.rawValue == 502)
        #expect(ReplyCode.commandInvalid.rawValue == 503)
        #expect(ReplyCode.channelError.rawValue == 504)
        #expect(ReplyCode.unexpectedFrame.rawValue == 505)
        #expect(ReplyCode.preconditionFailed.rawValue == 406)
        #expect(ReplyCode.notFound.name == "NOT_FOUND")
        #expect(ReplyCode.replySuccess.rawValue == 200)
        #expect(!ReplyCode.notFound.isHardError)
        #expect(!ReplyCode.accessRefused.isHardError)
        #expect(ReplyCode.connectionForced.isHardError)
        #expect(ReplyCode.allCases.count == 19)
        #expect(Set(ReplyCode.allCases.map(\.rawValue)).count == ReplyCode.allCases.count)
    }
}
