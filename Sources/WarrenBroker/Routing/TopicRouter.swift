import WarrenWire

/// Topic exchange routing over a trie of binding-key words: `*` matches exactly one word, `#`
/// zero or more. Lookup cost depends on the routing key's length and the wildcards on its path,
/// not on the number of bindings, so 10,000+ bindings stay fast.
final class TopicRouter: Router {
    private final class Node {
        var children: [Substring: Node] = [:]
        var star: Node?
        var hash: Node?
        var destinations: [BindingDestination] = []

        var isEmpty: Bool { children.isEmpty && star == nil && hash == nil && destinations.isEmpty }
    }

    private var root = Node()

    /// The words of a key; as in RabbitMQ, the empty key has none (so `*` does not match it).
    private static func words(_ key: String) -> [Substring] {
        key.isEmpty ? [] : key.split(separator: ".", omittingEmptySubsequences: false)
    }

    func add(_ binding: Binding) {
        var node = root
        for word in Self.words(binding.routingKey) {
            switch word {
            case "*":
                if node.star == nil { node.star = Node() }
                node = node.star!
            case "#":
                if node.hash == nil { node.hash = Node() }
                node = node.hash!
            default:
                if let child = node.children[word] {
                    node = child
                } else {
                    let child = Node()
                    node.children[word] = child
                    node = child
                }
            }
        }
        node.destinations.append(binding.destination)
    }

    func remove(_ binding: Binding) {
        let words = Self.words(binding.routingKey)
        _ = Self.remove(binding.destination, words[...], from: root)
    }

    /// Removes the destination and prunes nodes left empty; returns whether `node` is now empty.
    private static func remove(_ destination: BindingDestination, _ words: ArraySlice<Substring>, from node: Node) -> Bool {
        guard let word = words.first else {
            if let index = node.destinations.firstIndex(of: destination) { node.destinations.remove(at: index) }
            return node.isEmpty
        }
        let rest = words.dropFirst()
        switch word {
        case "*":
            if let star = node.star, remove(destination, rest, from: star) { node.star = nil }
        case "#":
            if let hash = node.hash, remove(destination, rest, from: hash) { node.hash = nil }
        default:
            if let child = node.children[word], remove(destination, rest, from: child) { node.children[word] = nil }
        }
        return node.isEmpty
    }

    func route(routingKey: String, headers: FieldTable?, into destinations: inout [BindingDestination]) {
        let words = Self.words(routingKey)
        var visited = Set<VisitKey>()
        Self.match(root, words, 0, &destinations, &visited)
    }

    private struct VisitKey: Hashable {
        let node: ObjectIdentifier
        let index: Int
    }

    private static func match(
        _ node: Node, _ words: [Substring], _ index: Int, _ out: inout [BindingDestination], _ visited: inout Set<VisitKey>
    ) {
        if index == words.count {
            out.append(contentsOf: node.destinations)
            if let hash = node.hash { match(hash, words, index, &out, &visited) }
            return
        }
        if let child = node.children[words[index]] { match(child, words, index + 1, &out, &visited) }
        if let star = node.star { match(star, words, index + 1, &out, &visited) }
        // `#` swallows zero or more words. Several `#` paths can reach the same `#` node at the
        // same position; expanding it once keeps patterns like `#.#.#` from going exponential.
        if let hash = node.hash, visited.insert(VisitKey(node: ObjectIdentifier(hash), index: index)).inserted {
            for next in index...words.count { match(hash, words, next, &out, &visited) }
        }
    }
}
