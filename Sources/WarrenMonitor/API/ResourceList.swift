import Foundation

/// A model read from one JSON object of a management API list.
public protocol ManagementResource: Sendable {
    init?(json: JSON)
    /// What it is, for the broker's dialect to map its names (``ManagementDialect``).
    static var kind: ManagementResourceKind { get }
}

extension QueueInfo: ManagementResource { public static var kind: ManagementResourceKind { .queue } }
extension ExchangeInfo: ManagementResource { public static var kind: ManagementResourceKind { .exchange } }
extension BindingInfo: ManagementResource { public static var kind: ManagementResourceKind { .binding } }
extension ConsumerInfo: ManagementResource { public static var kind: ManagementResourceKind { .consumer } }
extension ConnectionInfo: ManagementResource { public static var kind: ManagementResourceKind { .connection } }
extension NodeInfo: ManagementResource { public static var kind: ManagementResourceKind { .node } }
extension VhostInfo: ManagementResource { public static var kind: ManagementResourceKind { .vhost } }

extension ManagementResource {
    /// One object of a response, in the names of the broker's `dialect`.
    public init?(json: JSON, dialect: ManagementDialect) {
        self.init(json: dialect.adapt(json, as: Self.kind))
    }
}

/// A management API list decoded straight into models: a JSON array, or a page
/// (`{"items": [...], "page_count": N, ...}` with `pagination=true`).
///
/// Each object becomes a model as soon as it is parsed (``JSONParser/forEachElement(in:_:)``): only
/// one object's ``JSON`` tree exists at a time. Reading the whole response into a tree first held
/// every field of 10,000 queues at once. Repeated strings (vhosts, nodes, types) are interned.
public struct ResourceList<Resource: ManagementResource>: Sendable {
    public var items: [Resource]
    /// Paged responses only.
    public var page: Int?
    public var pageCount: Int?
    public var filteredCount: Int?
    public var totalCount: Int?

    /// Decodes `data`, in the names of the broker's `dialect`; throws when it is not JSON, or
    /// neither a list nor a page of one.
    public static func decode(_ data: Data, dialect: ManagementDialect = .rabbitmq) throws -> ResourceList {
        let interner = StringInterner()
        var items: [Resource] = []
        let members = try JSONParser.forEachElement(in: data) { json in
            guard var item = Resource(json: json, dialect: dialect) else { return }
            if var queue = item as? QueueInfo {
                queue.intern(interner)
                item = queue as! Resource
            }
            items.append(item)
        }
        return ResourceList(items: items, page: members["page"]?.int, pageCount: members["page_count"]?.int,
                            filteredCount: members["filtered_count"]?.int, totalCount: members["total_count"]?.int)
    }
}

/// One copy of each repeated string of a response (a node name repeated 10,000 times is one
/// allocation instead of 10,000). Used by one decode on one thread.
final class StringInterner {
    private var seen: Set<String> = []

    func intern(_ string: String) -> String {
        // Short strings live inline in the String value and cost nothing to repeat.
        guard string.utf8.count > 15 else { return string }
        if let existing = seen.firstIndex(of: string) { return seen[existing] }
        seen.insert(string)
        return string
    }

    func intern(_ string: String?) -> String? {
        string.map(intern)
    }
}

extension QueueInfo {
    mutating func intern(_ interner: StringInterner) {
        id = QueueID(vhost: interner.intern(id.vhost), name: id.name)
        type = interner.intern(type)
        node = interner.intern(node)
        state = interner.intern(state)
        policy = interner.intern(policy)
        leader = interner.intern(leader)
        members = members?.map(interner.intern)
        online = online?.map(interner.intern)
    }
}
