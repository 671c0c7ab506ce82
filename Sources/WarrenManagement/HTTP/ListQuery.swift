import Foundation

/// An error answered with RabbitMQ's JSON error body.
struct RequestError: Error {
    var status: Int
    var error: String
    var reason: String

    static func badRequest(_ reason: String) -> RequestError { RequestError(status: 400, error: "bad_request", reason: reason) }
    static let notFound = RequestError(status: 404, error: "Object Not Found", reason: "Not Found")
    /// RabbitMQ 3.10.8 spells it with a z, and sends no body at all when no credentials came.
    static let unauthorised = RequestError(status: 401, error: "not_authorized", reason: "Login failed")
    static let methodNotAllowed = RequestError(status: 405, error: "Method Not Allowed", reason: "Method Not Allowed")

    var body: JSON { .object([("error", .string(error)), ("reason", .string(reason))]) }
}

/// The query parameters RabbitMQ's list endpoints take, applied to rendered objects in its
/// order: filter by name, sort, page, then keep the asked-for columns.
struct ListQuery {
    var page: Int?
    var pageSize = 100
    var name: String?
    var useRegex = false
    var sort: [Substring]?
    var sortReverse = false
    var columns: [[Substring]]?
    var options: RenderOptions

    static let maximumPageSize = 500

    init(_ query: [String: String], node: String) throws(RequestError) {
        options = RenderOptions(node: node)
        func flag(_ key: String) -> Bool { query[key] == "true" }
        func integer(_ key: String) throws(RequestError) -> Int? {
            guard let text = query[key] else { return nil }
            guard let value = Int(text) else { throw .badRequest("\(key) must be an integer, got '\(text)'") }
            return value
        }
        if let page = try integer("page") {
            guard page >= 1 else { throw .badRequest("page must be 1 or more") }
            self.page = page
        }
        if let size = try integer("page_size") {
            guard size >= 1 else { throw .badRequest("page_size must be 1 or more") }
            guard size <= Self.maximumPageSize else {
                throw RequestError(status: 400, error: "invalid_pagination_parameters",
                                   reason: "Invalid pagination parameters: page number \(page ?? 1), page size \(size)")
            }
            pageSize = size
        }
        if let name = query["name"], !name.isEmpty { self.name = name }
        useRegex = flag("use_regex")
        if let sort = query["sort"], !sort.isEmpty { self.sort = sort.split(separator: ".") }
        sortReverse = flag("sort_reverse")
        if let columns = query["columns"], !columns.isEmpty {
            self.columns = columns.split(separator: ",").map { $0.split(separator: ".") }
        }
        options.disableStats = flag("disable_stats")
        options.enableQueueTotals = flag("enable_queue_totals")
        options.lengths = try Self.history(query, "lengths")
        options.messageRates = try Self.history(query, "msg_rates")
        if page == nil && flag("pagination") { page = 1 }
    }

    private static func history(_ query: [String: String], _ prefix: String) throws(RequestError) -> HistoryRequest? {
        guard let age = query[prefix + "_age"] else { return nil }
        guard let ageValue = Double(age), ageValue > 0,
            let increment = Double(query[prefix + "_incr"] ?? age), increment > 0
        else { throw .badRequest("\(prefix)_age and \(prefix)_incr must be positive numbers of seconds") }
        return HistoryRequest(age: ageValue, increment: increment)
    }

    /// Whether an object named `name` passes the `name` filter.
    func matcher() throws(RequestError) -> (String) -> Bool {
        guard let filter = name else { return { _ in true } }
        if useRegex {
            let regex: NSRegularExpression
            do { regex = try NSRegularExpression(pattern: filter, options: [.caseInsensitive]) } catch {
                throw .badRequest("invalid regular expression '\(filter)'")
            }
            return { name in
                regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
            }
        }
        let lowered = filter.lowercased()
        return { $0.lowercased().contains(lowered) }
    }

    /// The whole answer: a plain list, or with `page` RabbitMQ's paged envelope.
    func respond(_ items: [JSON], total: Int) throws(RequestError) -> JSON {
        var items = items
        if let sort {
            items.sort { a, b in
                let x = a.value(at: sort)
                let y = b.value(at: sort)
                return sortReverse ? JSON.ascending(y, x) : JSON.ascending(x, y)
            }
        } else if sortReverse {
            items.reverse()
        }
        guard let page else { return .array(items.map(select)) }
        let filtered = items.count
        let pageCount = max(1, (filtered + pageSize - 1) / pageSize)
        guard page <= pageCount else { throw Self.outOfRange(page, pageSize, filtered) }
        let start = (page - 1) * pageSize
        let slice = items[min(start, filtered)..<min(start + pageSize, filtered)]
        return .sorted([
            ("filtered_count", .int(filtered)), ("item_count", .int(slice.count)),
            ("items", .array(slice.map(select))), ("page", .int(page)), ("page_count", .int(pageCount)),
            ("page_size", .int(pageSize)), ("total_count", .int(total)),
        ])
    }

    static func outOfRange(_ page: Int, _ size: Int, _ count: Int) -> RequestError {
        RequestError(status: 400, error: "page_out_of_range",
                     reason: "Page out of range, page: \(page) page size: \(size), len: \(count)")
    }

    /// Keeps only the requested columns (dotted paths keep the nested keys).
    func select(_ item: JSON) -> JSON {
        guard let columns else { return item }
        return Self.prune(item, columns)
    }

    private static func prune(_ item: JSON, _ paths: [[Substring]]) -> JSON {
        guard case .object(let pairs) = item else { return item }
        var kept: [(String, JSON)] = []
        for (key, value) in pairs {
            let matching = paths.filter { $0.first.map(String.init) == key }
            guard !matching.isEmpty else { continue }
            if matching.contains(where: { $0.count == 1 }) {
                kept.append((key, value))
            } else {
                kept.append((key, prune(value, matching.map { Array($0.dropFirst()) })))
            }
        }
        return .object(kept)
    }
}
