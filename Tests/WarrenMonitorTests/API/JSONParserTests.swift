import Foundation
import Testing
@testable import WarrenMonitor

@Suite("JSON parser")
struct JSONParserTests {
    /// Foundation's reading of the same bytes, as a JSON tree.
    static func foundation(_ data: Data) throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: data)
    }

    @Test(arguments: ["overview", "queues", "queues-paged", "nodes", "exchanges", "bindings", "consumers",
                      "connections", "channels", "vhosts", "definitions", "get-dlq", "whoami"])
    func everyRecordedResponseReadsAsFoundationReadsIt(fixture: String) throws {
        let data = try Fixture.data(fixture)
        #expect(try JSONParser.parse(data) == Self.foundation(data))
    }

    @Test func stringsWithEscapesAndUnicode() throws {
        let text = #"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\ud800x", "plain é 中"]"#
        #expect(try JSONParser.parse(Data(text.utf8)) == .array([
            .string("a\"b\\c/d\u{8}\u{c}\n\r\t"), .string("é中"), .string("😀"), .string("\u{FFFD}x"),
            .string("plain é 中"),
        ]))
    }

    @Test func numbers() throws {
        let text = "[0, -0, 12, -7, 1.5, -2.25e3, 1E2, 123456789012345678, 9007199254740993]"
        #expect(try JSONParser.parse(Data(text.utf8)) == .array([
            .number(0), .number(0), .number(12), .number(-7), .number(1.5), .number(-2250), .number(100),
            .number(123456789012345678), .number(9007199254740993),
        ]))
    }

    @Test(arguments: ["", "[", "[1,", "[1 2]", "{\"a\"}", "{\"a\":1,}", "\"abc", "\"\\x\"", "\"\\u12\"", "tru",
                      "nul", "-", "[1]x", "{1:2}", String(repeating: "[", count: 200) + String(repeating: "]", count: 200)])
    func malformedDocumentsAreErrors(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data(text.utf8)) }
    }

    @Test func listsAreReadElementByElement() throws {
        var names: [String] = []
        let members = try JSONParser.forEachElement(in: Data(#"{"page":2,"items":[{"name":"a"},{"name":"b"}],"page_count":3}"#.utf8)) {
            names.append($0["name"]?.string ?? "?")
        }
        #expect(names == ["a", "b"])
        #expect(members["page"]?.int == 2 && members["page_count"]?.int == 3)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.forEachElement(in: Data(#"{"page":1}"#.utf8)) { _ in } }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.forEachElement(in: Data("42".utf8)) { _ in } }
    }
}
