import NIOCore
import Testing

@testable import WarrenWire

@Suite("Generated methods: malformed arguments")
struct MethodDecodingErrorTests {
    /// Every strict prefix of a method's arguments fails to decode with a syntax error (502).
    @Test(arguments: MethodSamples.all)
    func truncatedArgumentsAreRejected(sample: MethodSample) throws {
        let method = sample.make(.distinctAllSet)
        let payload = try encodedPayload(method)
        for length in 4..<payload.count {
            let error = wireError { () throws(AMQPWireError) in try decodeOne(rawFrame(type: 1, channel: 1, payload: Array(payload[..<length]))) }
            switch error {
            case .malformedMethod(let classID, let methodID, let reason)?:
                #expect(classID == method.classID && methodID == method.methodID)
                #expect(reason == "truncated")
            case .malformedFieldTable?:
                break  // the cut fell inside a table argument
            default:
                Issue.record("\(sample.name) cut to \(length) bytes: \(String(describing: error))")
            }
            #expect(error?.replyCode == 502)
        }
    }

    /// A byte after the last argument is refused, for every method (tables are length-prefixed,
    /// so the extra byte cannot be mistaken for part of one).
    @Test(arguments: MethodSamples.all)
    func trailingBytesAreRejected(sample: MethodSample) throws {
        let method = sample.make(.distinctAllSet)
        for extra in [[0x00], [0xCE], [0x01, 0x02, 0x03]] as [[UInt8]] {
            let payload = try encodedPayload(method) + extra
            let error = wireError { () throws(AMQPWireError) in try decodeOne(rawFrame(type: 1, channel: 1, payload: payload)) }
            #expect(error == .malformedMethod(classID: method.classID, methodID: method.methodID, reason: "trailing bytes"))
            #expect(error?.replyCode == 502)
            #expect(error?.replyText == "SYNTAX_ERROR - cannot decode \(method.name): trailing bytes")
        }
    }

    @Test func truncatedBasicAckNamesTheMethod() {
        let payload = methodPayload(classID: 60, methodID: 80, arguments: [0, 0, 0, 0, 0, 0, 0, 1])  // no bits octet
        let error = wireError { () throws(AMQPWireError) in try decodeOne(rawFrame(type: 1, channel: 1, payload: payload)) }
        #expect(error == .malformedMethod(classID: 60, methodID: 80, reason: "truncated"))
        #expect(error?.replyText == "SYNTAX_ERROR - cannot decode basic.ack: truncated")
    }

    @Test func shortStringLongerThanTheArguments() {
        // basic.consume-ok whose consumer-tag claims 10 bytes but carries 3.
        let payload = methodPayload(classID: 60, methodID: 21, arguments: [10] + Array("abc".utf8))
        #expect(throws: AMQPWireError.malformedMethod(classID: 60, methodID: 21, reason: "truncated")) {
            try decodeOne(rawFrame(type: 1, channel: 1, payload: payload))
        }
    }

    @Test func longStringLengthBeyondTheFrame() {
        // connection.secure with a challenge claiming 4 GiB.
        let payload = methodPayload(classID: 10, methodID: 20, arguments: [0xFF, 0xFF, 0xFF, 0xFF, 1, 2])
        #expect(throws: AMQPWireError.malformedMethod(classID: 10, methodID: 20, reason: "truncated")) {
            try decodeOne(rawFrame(type: 1, channel: 0, payload: payload))
        }
    }

    @Test func malformedTableArgumentIsAFieldTableError() {
        // queue.bind whose arguments table holds an unknown type code.
        let table = shortString("k") + [UInt8(ascii: "Z")]
        let arguments = [0, 0] + shortString("q") + shortString("e") + shortString("r") + [0] + longBlock(table)
        let error = wireError { () throws(AMQPWireError) in
            try decodeOne(rawFrame(type: 1, channel: 1, payload: methodPayload(classID: 50, methodID: 20, arguments: arguments)))
        }
        guard case .malformedFieldTable? = error else {
            Issue.record("expected malformedFieldTable, got \(String(describing: error))")
            return
        }
        #expect(error?.replyCode == 502)
    }

    @Test(arguments: [(UInt16(60), UInt16(99)), (0, 0), (10, 12), (40, 50), (70, 10), (999, 10), (.max, .max)])
    func unknownIdsAreUnknownMethods(classID: UInt16, methodID: UInt16) {
        let error = wireError { () throws(AMQPWireError) in
            try decodeOne(rawFrame(type: 1, channel: 1, payload: methodPayload(classID: classID, methodID: methodID, arguments: [])))
        }
        #expect(error == .unknownMethod(classID: classID, methodID: methodID))
        #expect(error?.replyCode == 503)
        #expect(error?.replyText == "COMMAND_INVALID - unknown method \(classID).\(methodID)")
        #expect(AMQPMethod.name(classID: classID, methodID: methodID) == nil)
    }
}
