import Testing
@testable import WarrenBroker
import WarrenWire

/// Headers exchange matching as rabbit_exchange_type_headers does it: `x-match` all (default),
/// any, all-with-x, any-with-x; the `x-match` key itself is never compared; other `x-` keys only
/// with the `-with-x` modes; a void binding value matches on presence; values compare by value,
/// so integers of different widths are equal.
@Suite struct HeadersRouterTests {
    static func matches(_ arguments: FieldTable, _ headers: FieldTable) -> Bool {
        HeadersRouter.matches(arguments, headers.entries)
    }

    @Test func allNeedsEveryKey() {
        let binding: FieldTable = ["x-match": "all", "format": "pdf", "type": "report"]
        #expect(Self.matches(binding, ["format": "pdf", "type": "report"]))
        #expect(Self.matches(binding, ["type": "report", "format": "pdf", "extra": "ignored"]))
        #expect(!Self.matches(binding, ["format": "pdf"]))
        #expect(!Self.matches(binding, ["format": "pdf", "type": "log"]))
        #expect(!Self.matches(binding, [:]))
    }

    @Test func allIsTheDefault() {
        let binding: FieldTable = ["format": "pdf", "type": "report"]
        #expect(Self.matches(binding, ["format": "pdf", "type": "report"]))
        #expect(!Self.matches(binding, ["format": "pdf"]))
    }

    @Test func anyNeedsOneKey() {
        let binding: FieldTable = ["x-match": "any", "format": "pdf", "type": "report"]
        #expect(Self.matches(binding, ["format": "pdf"]))
        #expect(Self.matches(binding, ["type": "report", "format": "zip"]))
        #expect(!Self.matches(binding, ["format": "zip", "type": "log"]))
        #expect(!Self.matches(binding, [:]))
    }

    /// With nothing to compare, `all` matches everything and `any` nothing.
    @Test func emptyBindings() {
        #expect(Self.matches([:], [:]))
        #expect(Self.matches(["x-match": "all"], ["a": 1]))
        #expect(!Self.matches(["x-match": "any"], ["a": 1]))
        #expect(Self.matches(["x-match": "all-with-x"], ["a": 1]))
        #expect(!Self.matches(["x-match": "any-with-x"], ["a": 1]))
    }

    /// Plain all/any skip binding keys starting with "x-".
    @Test func xKeysAreIgnoredByAllAndAny() {
        #expect(Self.matches(["x-match": "all", "x-tenant": "a", "k": "v"], ["k": "v"]))
        #expect(Self.matches(["x-match": "all", "x-tenant": "a", "k": "v"], ["k": "v", "x-tenant": "b"]))
        #expect(!Self.matches(["x-match": "any", "x-tenant": "a"], ["x-tenant": "a"]))
    }

    @Test func allWithXComparesXKeys() {
        let binding: FieldTable = ["x-match": "all-with-x", "x-tenant": "a", "k": "v"]
        #expect(Self.matches(binding, ["k": "v", "x-tenant": "a"]))
        #expect(!Self.matches(binding, ["k": "v", "x-tenant": "b"]))
        #expect(!Self.matches(binding, ["k": "v"]))
    }

    @Test func anyWithXComparesXKeys() {
        let binding: FieldTable = ["x-match": "any-with-x", "x-tenant": "a", "k": "v"]
        #expect(Self.matches(binding, ["x-tenant": "a"]))
        #expect(Self.matches(binding, ["k": "v"]))
        #expect(!Self.matches(binding, ["x-tenant": "b", "k": "w"]))
    }

    /// The `x-match` key is the mode, not a header to look for, in every mode.
    @Test func xMatchItselfIsNeverCompared() {
        #expect(Self.matches(["x-match": "all-with-x", "k": "v"], ["k": "v"]))
        #expect(!Self.matches(["x-match": "any-with-x", "k": "v"], ["k": "w", "x-match": "any-with-x"]))
        #expect(!Self.matches(["x-match": "any", "k": "v"], ["x-match": "any"]))
    }

    @Test func voidMeansPresence() {
        let binding: FieldTable = ["x-match": "all", "trace": .void, "k": "v"]
        #expect(Self.matches(binding, ["trace": "anything", "k": "v"]))
        #expect(Self.matches(binding, ["trace": .void, "k": "v"]))
        #expect(Self.matches(binding, ["trace": 0, "k": "v"]))
        #expect(!Self.matches(binding, ["k": "v"]))
        #expect(Self.matches(["x-match": "any", "trace": .void], ["trace": false]))
        #expect(!Self.matches(["x-match": "any", "trace": .void], ["other": 1]))
    }

    @Test(arguments: [
        FieldValue.int8(42), .uint8(42), .int16(42), .uint16(42), .int32(42), .uint32(42), .int64(42),
    ])
    func integersOfAnyWidthCompareEqual(_ header: FieldValue) {
        for binding in [FieldValue.int8(42), .uint8(42), .int16(42), .uint16(42), .int32(42), .uint32(42), .int64(42)] {
            #expect(Self.matches(["n": binding], ["n": header]), "\(binding) vs \(header)")
        }
        #expect(!Self.matches(["n": .int64(43)], ["n": header]))
        #expect(!Self.matches(["n": "42"], ["n": header]))
    }

    @Test func otherTypesCompareByValue() {
        #expect(Self.matches(["flag": true], ["flag": true]))
        #expect(!Self.matches(["flag": true], ["flag": false]))
        #expect(!Self.matches(["s": "a"], ["s": "b"]))
        #expect(Self.matches(["t": .table(["a": 1])], ["t": .table(["a": 1])]))
    }

    @Test func routerAddRouteRemove() {
        let router = HeadersRouter()
        let pdf = Binding(source: "h", destination: .queue("pdf"), routingKey: "", arguments: ["format": "pdf"])
        let any = Binding(source: "h", destination: .queue("any"), routingKey: "ignored",
                          arguments: ["x-match": "any", "format": "pdf", "type": "log"])
        let onward = Binding(source: "h", destination: .exchange("next"), routingKey: "", arguments: ["type": "log"])
        for binding in [pdf, any, onward] { router.add(binding) }

        func route(_ headers: FieldTable?) -> [BindingDestination] {
            var destinations: [BindingDestination] = []
            router.route(routingKey: "whatever", headers: headers, into: &destinations)
            return destinations
        }
        #expect(route(["format": "pdf"]) == [.queue("pdf"), .queue("any")])
        #expect(route(["type": "log"]) == [.queue("any"), .exchange("next")])
        #expect(route(nil).isEmpty)
        router.remove(any)
        #expect(route(["format": "pdf", "type": "log"]) == [.queue("pdf"), .exchange("next")])
        router.remove(pdf)
        router.remove(onward)
        #expect(route(["format": "pdf", "type": "log"]).isEmpty)
    }
}
