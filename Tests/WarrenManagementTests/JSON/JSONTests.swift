import NIOCore
import Testing
import WarrenWire

@testable import WarrenManagement

extension ManagementTests {
    @Suite struct JSONTests {
        static func text(_ value: JSON) -> String { String(buffer: value.encoded()) }

        @Test func writesRabbitMQsForms() {
            #expect(Self.text(.double(0)) == "0.0")
            #expect(Self.text(.double(61.5)) == "61.5")
            #expect(Self.text(.double(.nan)) == "null")
            #expect(Self.text(.string("a\"b\\c\n\u{1}é")) == #""a\"b\\c\n\u0001é""#)
            #expect(Self.text(.sorted([("b", .int(1)), ("a", .array([.bool(true), .null]))])) == #"{"a":[true,null],"b":1}"#)
        }

        @Test func readsBooleansAndNumbersApart() throws {
            let parsed = try #require(JSON.parse(ByteBuffer(string: #"{"t":true,"one":1,"half":0.5,"s":"x","n":null}"#)))
            #expect(parsed["t"] == .bool(true))
            #expect(parsed["one"] == .int(1))
            #expect(parsed["half"] == .double(0.5))
            #expect(parsed["n"] == .null)
            #expect(JSON.parse(ByteBuffer(string: "{")) == nil)
            #expect(JSON.parse(ByteBuffer(string: String(repeating: "[", count: 100_000))) == nil)
        }

        @Test func fieldTablesRoundTripAsRabbitMQReadsThem() throws {
            let table: FieldTable = ["x-max-length": .int32(5), "x-dead-letter-exchange": "dlx", "flag": .bool(true)]
            let json = JSON(table)
            let back = try #require(json.fieldTable)
            // Integers come back as longs, as RabbitMQ reads JSON arguments.
            #expect(back["x-max-length"] == .int64(5))
            #expect(back["x-dead-letter-exchange"] == .string("dlx"))
            #expect(back["flag"] == .bool(true))
        }

        @Test func sortsInErlangTermOrder() {
            let values: [JSON?] = [.string("b"), .int(3), nil, .double(1.5), .string("a"), .bool(true)]
            let sorted = values.sorted(by: JSON.ascending)
            #expect(sorted.map { $0.map(Self.text) ?? "-" } == ["1.5", "3", "-", "true", "\"a\"", "\"b\""])
        }
    }
}
