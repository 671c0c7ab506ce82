import Foundation
import NIOCore
import Testing
import WarrenWire
@testable import WarrenMonitor

@Suite("Message filter language")
struct MessageFilterTests {
    static let message = MessageFacts(
        properties: BasicProperties(contentType: "application/json",
                                    headers: ["x-exception-message": "card declined", "attempt": .int32(3)],
                                    messageID: "m-7"),
        body: ByteBuffer(string: #"{"order":{"id":42,"items":[{"sku":"A-1"},{"sku":"B-2"}]},"note":"Rush Order"}"#))

    @Test(arguments: [
        ("header.attempt=3", true), ("header.x-exception-message=\"card declined\"", true),
        ("property.content_type=application/json", true), ("property.message_id=m-8", false),
        ("body~rush", true), ("body~\"rush order\"", true), ("body~nothing", false),
        ("body.order.id=42", true), ("body.order.items.1.sku=B-2", true), ("body.order.items.5.sku=B-2", false),
        ("!body.order.id=42", false), ("header.attempt=3 !property.message_id=m-8", true),
        ("header.attempt=3 body~nothing", false),
    ])
    func termsMatchWhatTheySay(expression: String, expected: Bool) throws {
        let filters = try ReplayFilter.parseAll(expression).get()
        #expect(filters.allSatisfy { $0.matches(Self.message) } == expected)
    }

    @Test func writtenBackTheyParseTheSame() throws {
        let text = #"queue=orders reason=rejected header.x-exception-message="timed out" body.a.b=1 !body~x deaths<=2"#
        let filters = try ReplayFilter.parseAll(text).get()
        #expect(filters.count == 6)
        #expect(try ReplayFilter.parseAll(filters.map(\.description).joined(separator: " ")).get() == filters)
    }

    /// Error texts quote things (a triage group's filter is built from one): within quotes,
    /// `\"` is a quote and `\\` a backslash, and written back the filter parses the same.
    @Test(arguments: [
        ReplayFilter.header("x-exception-message", #"key "id" not found"#),
        .header("path", #"C:\temp\in"#), .header("x", #"ends with \"#), .header("my header", "v"),
        .bodyContains(#"say "hi""#), .property("type", #"a"b"#), .not(.header("e", #"\"quoted\""#)),
        .bodyField(["a b", "c"], "1"), .reason("rejected"),
    ])
    func valuesWithQuotesAndBackslashesRoundTrip(filter: ReplayFilter) throws {
        #expect(try ReplayFilter.parseAll(filter.description).get() == [filter], "\(filter.description)")
    }

    @Test func escapesInQuotedValues() throws {
        #expect(try ReplayFilter.parseAll(#"header.e="say \"hi\" \\ now""#).get() == [.header("e", #"say "hi" \ now"#)])
        // Outside quotes a backslash is itself; inside, one before another character too.
        #expect(try ReplayFilter.parseAll(#"header.p=C:\dir"#).get() == [.header("p", #"C:\dir"#)])
        #expect(try ReplayFilter.parseAll(#"header.p="C:\dir""#).get() == [.header("p", #"C:\dir"#)])
    }

    /// A body path with an empty step is not a term (it could not be written back; the fuzzer).
    @Test func bodyPathsWithEmptyStepsAreRefused() {
        for text in ["body..=1", "body.a..b=1", "body.a.=1"] {
            guard case .failure = ReplayFilter.parseAll(text) else {
                Issue.record("accepted \(text)")
                continue
            }
        }
    }

    /// Durations that are not finite or absurdly long are refused, not crashed on (the fuzzer).
    @Test func durationsOutOfRangeAreRefused() throws {
        for text in ["age>44444444444444444444444444444444444", "age<nan", "age>inf", "age>-5m", "age>1e300d"] {
            guard case .failure = ReplayFilter.parseAll(text) else {
                Issue.record("accepted \(text)")
                continue
            }
        }
        #expect(try ReplayFilter.parseAll("age>3650d").get() == [.olderThan(3650 * 86400)])
        // A fraction of a second is written back as it was, not cut to whole seconds (the fuzzer).
        let fractional = try ReplayFilter.parseAll("age>44.4444444444").get()
        #expect(try ReplayFilter.parseAll(fractional.map(\.description).joined()).get() == fractional)
    }

    @Test func badTermsSayWhich() {
        guard case .failure(let error) = ReplayFilter.parseAll("reason=rejected colour=red") else {
            Issue.record("accepted")
            return
        }
        #expect(error.term == "colour=red")
        guard case .failure(let open) = ReplayFilter.parseAll(#"header.a="b"#) else {
            Issue.record("accepted")
            return
        }
        #expect(open.reason.contains("quote"))
    }

    @Test func aNonJSONBodyHasNoFields() {
        let text = MessageFacts(properties: BasicProperties(), body: ByteBuffer(string: "plain"))
        #expect(!ReplayFilter.bodyField(["a"], "1").matches(text))
        #expect(ReplayFilter.bodyContains("PLA").matches(text))
        let binary = MessageFacts(properties: BasicProperties(), body: ByteBuffer(bytes: [0xff, 0xfe]))
        #expect(!ReplayFilter.bodyContains("x").matches(binary))
    }
}
