import Foundation

/// A model read from one JSON object of a management API list.
public protocol ManagementResource: Sendable {
    init?(json: JSON)
}

extension QueueInfo: ManagementResource {}
extension ExchangeInfo: ManagementResource {}
extension BindingInfo: ManagementResource {}
extension ConsumerInfo: ManagementResource {}
extension ConnectionInfo: ManagementResource {}
extension NodeInfo: ManagementResource {}
extension VhostInfo: ManagementResource {}

/// A management API list decoded straight into models: a JSON array, or a page
/// (`{"items": [...], "page_count": N, ...}` with `pagination=true`).
///
/// The decoder parses the document once into its own compact form, and each object becomes a
/// model as soon as it is read; only one object's ``JSON`` tree exists at a time. Reading the whole
/// response into a ``JSON`` tree first held every field of 10,000 queues at once (most of the
/// dashboard's memory on a large broker). Repeated strings (vhosts, nodes, types) are interned.
public struct ResourceList<Resource: ManagementResource>: Sendable {
    public var items: [Resource]
    /// Paged responses only.
    public var page: Int?
    public var pageCount: Int?
    public var filteredCount: Int?
    public var totalCount: Int?

    /// Decodes `data`; throws when it is not JSON, or neither a list nor a page of one.
    public static func decode(_ data: Data) throws -> ResourceList {
        let decoder = JSONDecoder()
        let interner = StringInterner()
        decoder.userInfo[StringInterner.key] = interner
        return try decoder.decode(Wire.self, from: data).list
    }

    private struct Element: Decodable {
        var value: Resource?

        init(from decoder: any Decoder) throws {
            let json = try JSON(from: decoder)
            value = Resource(json: json)
            if var queue = value as? QueueInfo, let interner = decoder.userInfo[StringInterner.key] as? StringInterner {
                queue.intern(interner)
                value = queue as? Resource
            }
        }
    }

    private struct Wire: Decodable {
        var list: ResourceList

        enum Keys: String, CodingKey {
            case items, page
            case pageCount = "page_count"
            case filteredCount = "filtered_count"
            case totalCount = "total_count"
        }

        init(from decoder: any Decoder) throws {
            if let elements = try? [Element](from: decoder) {
                list = ResourceList(items: elements.compactMap(\.value))
                return
            }
            let container = try decoder.container(keyedBy: Keys.self)
            let elements = try container.decode([Element].self, forKey: .items)
            list = ResourceList(
                items: elements.compactMap(\.value), page: try? container.decodeIfPresent(Int.self, forKey: .page),
                pageCount: try? container.decodeIfPresent(Int.self, forKey: .pageCount),
                filteredCount: try? container.decodeIfPresent(Int.self, forKey: .filteredCount),
                totalCount: try? container.decodeIfPresent(Int.self, forKey: .totalCount))
        }
    }
}

/// One copy of each repeated string of a response (a node name repeated 10,000 times is one
/// allocation instead of 10,000). A class because the decoder passes it through `userInfo`; used
/// by one decode on one thread.
final class StringInterner: @unchecked Sendable {
    static let key = CodingUserInfoKey(rawValue: "warren.interner")!
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
