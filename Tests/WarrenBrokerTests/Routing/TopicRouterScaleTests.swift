import Testing
@testable import WarrenBroker
import WarrenWire

/// The trie against a plain recursive matcher, over 10,000 random bindings: the same queues for
/// every key, before and after removing half of the bindings. Correctness only, no timing.
///
/// Seconds of work in a debug build: the two big tests run on a thread of their own
/// (``DedicatedThread``).
@Suite struct TopicRouterScaleTests {
    /// RabbitMQ's semantics written the obvious way: exponential in the worst case, but plainly right.
    static func referenceMatch(_ pattern: ArraySlice<Substring>, _ key: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return key.isEmpty }
        let rest = pattern.dropFirst()
        switch first {
        case "#":
            return (0...key.count).contains { referenceMatch(rest, key.dropFirst($0)) }
        case "*":
            return !key.isEmpty && referenceMatch(rest, key.dropFirst())
        default:
            return key.first == first && referenceMatch(rest, key.dropFirst())
        }
    }

    static func words(_ key: String) -> [Substring] {
        key.isEmpty ? [] : key.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// SplitMix64: the same "random" bindings on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let vocabulary = ["a", "b", "c", "d", "e", "f", "g", "h", ""]

    static func randomPattern(_ rng: inout SeededGenerator) -> String {
        let length = Int.random(in: 0...5, using: &rng)
        return (0..<length).map { _ -> String in
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return "#"
            case 1, 2: return "*"
            default: return vocabulary.randomElement(using: &rng)!
            }
        }.joined(separator: ".")
    }

    static func randomKey(_ rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...6, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! }
            .joined(separator: ".")
    }

    @Test func tenThousandRandomBindingsAgreeWithTheReference() async {
        await withTaskExecutorPreference(DedicatedThread.shared) { Self.randomBindings() }
    }

    static func randomBindings() {
        var rng = SeededGenerator(state: 20_240_601)
        let router = TopicRouter()
        var bindings: [(pattern: String, queue: String)] = []
        for index in 0..<10_000 {
            // Queues repeat, so many queues have several bindings.
            let binding = (pattern: Self.randomPattern(&rng), queue: "q\(index % 2_500)")
            bindings.append(binding)
            router.add(Binding(source: "t", destination: .queue(binding.queue), routingKey: binding.pattern,
                               arguments: [:]))
        }
        let keys = (0..<80).map { _ in Self.randomKey(&rng) } + ["", "a", "a.b.c.d.e.f", ".", "h.h.h.h.h.h"]

        func check(_ live: [(pattern: String, queue: String)]) {
            let compiled = live.map { (Self.words($0.pattern)[...], $0.queue) }
            var keysThatMatch = 0
            for key in keys {
                let keyWords = Self.words(key)[...]
                let expected = Set(compiled.filter { Self.referenceMatch($0.0, keyWords) }.map(\.1))
                let actual = TopicRouterTests.route(router, key)
                if !expected.isEmpty { keysThatMatch += 1 }
                #expect(actual == expected, "key '\(key)': \(actual.symmetricDifference(expected).sorted())")
            }
            // Not a vacuous comparison of empty sets.
            #expect(keysThatMatch > keys.count / 2)
        }
        check(bindings)

        // Remove every other binding; the rest must route exactly as before.
        var kept: [(pattern: String, queue: String)] = []
        for (index, binding) in bindings.enumerated() {
            if index % 2 == 0 {
                router.remove(Binding(source: "t", destination: .queue(binding.queue), routingKey: binding.pattern,
                                      arguments: [:]))
            } else {
                kept.append(binding)
            }
        }
        check(kept)
    }

    /// Many distinct bindings under one prefix, each reaching its own queue.
    @Test func tenThousandDistinctKeys() async {
        await withTaskExecutorPreference(DedicatedThread.shared) { Self.distinctKeys() }
    }

    static func distinctKeys() {
        let router = TopicRouter()
        for index in 0..<10_000 {
            router.add(TopicRouterTests.binding("stock.\(index % 100).\(index)", "q\(index)"))
        }
        router.add(TopicRouterTests.binding("stock.7.#", "all-7"))
        router.add(TopicRouterTests.binding("stock.*.4242", "by-id"))
        #expect(TopicRouterTests.route(router, "stock.42.4242") == ["q4242", "by-id"])
        #expect(TopicRouterTests.route(router, "stock.7.107") == ["q107", "all-7"])
        #expect(TopicRouterTests.route(router, "stock.7") == ["all-7"])
        #expect(TopicRouterTests.route(router, "stock.8.107").isEmpty)
        #expect(TopicRouterTests.route(router, "stock.99.9999.x").isEmpty)
        for index in 0..<10_000 { router.remove(TopicRouterTests.binding("stock.\(index % 100).\(index)", "q\(index)")) }
        #expect(TopicRouterTests.route(router, "stock.42.4242") == ["by-id"])
        #expect(TrieInspector.nodeCount(router) == 6)
    }

    /// Patterns with many `#` must not blow up (the trie memoises `#` expansions).
    @Test func manyHashesStayCorrect() {
        let router = TopicRouter()
        router.add(TopicRouterTests.binding("#.#.#.#.#.#.#.#.z", "q"))
        let long = Array(repeating: "a", count: 40).joined(separator: ".")
        #expect(TopicRouterTests.route(router, long).isEmpty)
        #expect(TopicRouterTests.route(router, long + ".z") == ["q"])
    }
}
