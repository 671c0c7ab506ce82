import Testing
@testable import WarrenBroker
import WarrenWire

/// Topic matching as RabbitMQ does it: keys split on ".", empty words are words, the empty key
/// has no words; `*` is exactly one word, `#` zero or more.
@Suite struct TopicRouterTests {
    static func binding(_ key: String, _ queue: String) -> Binding {
        Binding(source: "topic", destination: .queue(queue), routingKey: key, arguments: [:])
    }

    /// The queues a key reaches (the router may list one twice; the vhost removes duplicates).
    static func route(_ router: TopicRouter, _ key: String) -> Set<String> {
        var destinations: [BindingDestination] = []
        router.route(routingKey: key, headers: nil, into: &destinations)
        return Set(destinations.map(\.name))
    }

    /// Whether `pattern` matches `key`: a router with the one binding says yes or no.
    static func matches(_ pattern: String, _ key: String) -> Bool {
        let router = TopicRouter()
        router.add(binding(pattern, "q"))
        return route(router, key) == ["q"]
    }

    @Test(arguments: [
        // Plain words.
        ("a.b.c", "a.b.c", true), ("a.b.c", "a.b", false), ("a.b", "a.b.c", false), ("a", "b", false),
        // `*`: exactly one word, which may be empty.
        ("*", "a", true), ("*", "", false), ("*", "a.b", false), ("a.*", "a.b", true), ("a.*", "a", false),
        ("a.*", "a.", true), ("*.b", ".b", true), ("a.*.c", "a..c", true), ("*.*", "a.b", true), ("*.*", "a", false),
        // `#` alone: everything, the empty key included.
        ("#", "", true), ("#", "a", true), ("#", "a.b.c", true), ("#", ".", true),
        // `#` at the start.
        ("#.b", "b", true), ("#.b", "a.b", true), ("#.b", "x.y.b", true), ("#.b", "b.c", false), ("#.b", "", false),
        // `#` at the end.
        ("a.#", "a", true), ("a.#", "a.b", true), ("a.#", "a.b.c", true), ("a.#", "b.a", false), ("a.#", "", false),
        ("a.#", "ab", false),
        // `#` in the middle.
        ("a.#.b", "a.b", true), ("a.#.b", "a.x.b", true), ("a.#.b", "a.x.y.z.b", true), ("a.#.b", "a.b.b", true),
        ("a.#.b", "a", false), ("a.#.b", "b", false), ("a.#.b", "a.b.c", false), ("a.#.b", "x.a.b", false),
        // Wildcards together.
        ("#.#", "", true), ("#.#", "a.b", true), ("*.#", "", false), ("*.#", "a", true), ("#.*", "a.b.c", true),
        ("#.*", "", false), ("a.*.#", "a", false), ("a.*.#", "a.b", true), ("a.#.*", "a.b.c", true),
        ("#.a.#", "a", true), ("#.a.#", "x.a.y", true), ("#.a.#", "x.y", false), ("*.#.*", "a", false),
        ("*.#.*", "a.b", true),
        // Empty words in the pattern are literal.
        ("", "", true), ("", "a", false), ("a..b", "a..b", true), ("a..b", "a.b", false), ("a.", "a.", true),
        (".", ".", true), (".", "", false),
    ])
    func pattern(_ pattern: String, _ key: String, _ expected: Bool) {
        #expect(Self.matches(pattern, key) == expected, "'\(pattern)' on '\(key)'")
    }

    @Test func severalBindingsToTheSameQueue() {
        let router = TopicRouter()
        router.add(Self.binding("a.*", "q1"))
        router.add(Self.binding("*.b", "q1"))
        router.add(Self.binding("#", "q2"))
        router.add(Self.binding("a.b", "q3"))
        var destinations: [BindingDestination] = []
        router.route(routingKey: "a.b", headers: nil, into: &destinations)
        #expect(Set(destinations) == [.queue("q1"), .queue("q2"), .queue("q3")])

        // Removing one of q1's bindings leaves the other working.
        router.remove(Self.binding("a.*", "q1"))
        #expect(Self.route(router, "a.b") == ["q1", "q2", "q3"])
        #expect(Self.route(router, "a.c") == ["q2"])
        #expect(Self.route(router, "x.b") == ["q1", "q2"])
    }

    @Test func samePatternToSeveralQueues() {
        let router = TopicRouter()
        for queue in ["q1", "q2", "q3"] { router.add(Self.binding("a.#", queue)) }
        #expect(Self.route(router, "a.x") == ["q1", "q2", "q3"])
        router.remove(Self.binding("a.#", "q2"))
        #expect(Self.route(router, "a.x") == ["q1", "q3"])
    }

    @Test func exchangeDestinations() {
        let router = TopicRouter()
        router.add(Binding(source: "topic", destination: .exchange("downstream"), routingKey: "a.*", arguments: [:]))
        var destinations: [BindingDestination] = []
        router.route(routingKey: "a.b", headers: nil, into: &destinations)
        #expect(destinations == [.exchange("downstream")])
    }

    @Test func removingEverythingPrunesTheTrie() {
        let router = TopicRouter()
        let patterns = ["a.b.c", "a.*.c", "a.#", "#.c", "#", "*", "a.#.b.*", "", "a..b"]
        for (index, pattern) in patterns.enumerated() { router.add(Self.binding(pattern, "q\(index)")) }
        #expect(TrieInspector.nodeCount(router) > 1)
        for (index, pattern) in patterns.enumerated().reversed() { router.remove(Self.binding(pattern, "q\(index)")) }
        #expect(TrieInspector.nodeCount(router) == 1, "only the root should be left")
        for key in ["a.b.c", "", "a", "x.c"] { #expect(Self.route(router, key).isEmpty) }
    }

    @Test func removingOneBranchKeepsTheOthers() {
        let router = TopicRouter()
        router.add(Self.binding("a.b.c", "q1"))
        router.add(Self.binding("a.b", "q2"))
        let before = TrieInspector.nodeCount(router)
        router.remove(Self.binding("a.b.c", "q1"))
        #expect(TrieInspector.nodeCount(router) == before - 1)
        #expect(Self.route(router, "a.b") == ["q2"])
        #expect(Self.route(router, "a.b.c").isEmpty)
    }

    /// Removing a binding that was never added changes nothing.
    @Test func removingAnUnknownBinding() {
        let router = TopicRouter()
        router.add(Self.binding("a.*", "q1"))
        router.remove(Self.binding("a.*", "q2"))
        router.remove(Self.binding("a.#", "q1"))
        router.remove(Self.binding("x.y.z", "q1"))
        #expect(Self.route(router, "a.b") == ["q1"])
        #expect(TrieInspector.nodeCount(router) == 3)
    }
}

/// Counts a TopicRouter's trie nodes through reflection (the trie is private).
enum TrieInspector {
    static func nodeCount(_ router: TopicRouter) -> Int {
        guard let root = Mirror(reflecting: router).descendant("root") else { return 0 }
        return count(root)
    }

    private static func count(_ node: Any) -> Int {
        let mirror = Mirror(reflecting: node)
        var total = 1
        if let children = mirror.descendant("children") as? [Substring: Any] {
            for child in children.values { total += count(child) }
        }
        for key in ["star", "hash"] {
            if let optional = mirror.descendant(key), let node = Mirror(reflecting: optional).children.first?.value {
                total += count(node)
            }
        }
        return total
    }
}
