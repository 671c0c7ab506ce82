import Foundation
import WarrenBroker

// GET endpoints.
extension ManagementAPI {
    func get(_ request: APIRequest) async throws(RequestError) -> APIResponse {
        let path = request.path
        let query = try ListQuery(request.query, node: "")
        switch path.first {
        case "overview":
            let snapshot = try await snapshot(.all)
            var options = query.options
            options.node = snapshot.nodeName
            return .ok(NodeJSON.overview(snapshot, series: sampler.overview, options: options, user: request.user,
                                         managementPort: port))
        case "queues": return try await queues(Array(path.dropFirst()), request)
        case "policies", "operator-policies":
            return try await policies(Array(path.dropFirst()), operator: path[0] == "operator-policies", request: request)
        case "exchanges": return try await exchanges(Array(path.dropFirst()), request)
        case "bindings": return try await bindings(Array(path.dropFirst()), request)
        case "consumers":
            guard path.count <= 2 else { throw .notFound }
            let snapshot = try await snapshot(.consumers, vhost: path.count == 2 ? path[1] : nil)
            if path.count == 2 { try requireVhost(path[1], in: snapshot) }
            let filter = try query.matcher()
            let visible = snapshot.consumers.filter { request.scope.loginVhosts.contains($0.vhost) }
            let items = visible.filter { filter($0.queue) }
                .sorted { ($0.vhost, $0.queue, $0.tag) < ($1.vhost, $1.queue, $1.tag) }
                .map { ObjectJSON.consumer($0, node: snapshot.nodeName) }
            return .ok(try query.respond(items, total: visible.count))
        case "connections":
            let snapshot = try await snapshot(.connections)
            let series = sampler.allConnections()
            let filter = try query.matcher()
            let visible = snapshot.connections.filter {
                !request.scope.ownConnectionsOnly || $0.user == request.user.name
            }
            let items = visible.filter { filter($0.name) }.sorted { $0.name < $1.name }
                .map { ObjectJSON.connection($0, series: series[$0.name], node: snapshot.nodeName) }
            if path.count == 2 {
                guard let one = items.first(where: { $0["name"]?.stringValue == path[1] }) else { throw .notFound }
                return .ok(one)
            }
            return .ok(try query.respond(items, total: visible.count))
        case "channels":
            let snapshot = try await snapshot(.channels)
            let filter = try query.matcher()
            let series = sampler.allChannels()
            let visible = snapshot.channels.filter {
                !request.scope.ownConnectionsOnly || $0.identity.user == request.user.name
            }
            let items = visible.filter { filter($0.identity.name) }
                .sorted { $0.identity.name < $1.identity.name }
                .map { ObjectJSON.channel($0, series: series[$0.identity.name], node: snapshot.nodeName) }
            return .ok(try query.respond(items, total: visible.count))
        case "nodes":
            let snapshot = try await snapshot(.connections)
            let node = NodeJSON.node(snapshot, metrics: NodeMetrics.read(snapshot), series: sampler.node,
                                     churnSeries: sampler.overview, managementPort: port)
            if path.count == 2 {
                guard path[1] == snapshot.nodeName else { throw .notFound }
                return .ok(node)
            }
            return .ok(.array([node]))
        case "vhosts":
            let snapshot = try await snapshot(.queues)
            let series = sampler.allQueues()
            let trafficSeries = sampler.allVhosts()
            let items = snapshot.vhosts.filter(request.scope.visibleVhosts.contains).sorted().map { name in
                ObjectJSON.vhost(name, queues: snapshot.queues.filter { $0.vhost == name }, series: series,
                                 traffic: snapshot.vhostTraffic[name] ?? VhostTraffic(),
                                 trafficSeries: trafficSeries[name], node: snapshot.nodeName)
            }
            if path.count == 2 {
                guard let one = items.first(where: { $0["name"]?.stringValue == path[1] }) else { throw .notFound }
                return .ok(one)
            }
            return .ok(try query.respond(items, total: items.count))
        case "users" where path.count == 3 && (path[2] == "permissions" || path[2] == "topic-permissions"),
             "vhosts" where path.count == 3 && (path[2] == "permissions" || path[2] == "topic-permissions"):
            return try await permissions(of: path[0], path[1], topic: path[2] == "topic-permissions")
        case "users":
            let snapshot = try await snapshot([])
            let items = snapshot.users.sorted { $0.name < $1.name }.map(ObjectJSON.user)
            if path.count == 2 {
                guard let one = items.first(where: { $0["name"]?.stringValue == path[1] }) else { throw .notFound }
                return .ok(one)
            }
            return .ok(try query.respond(items, total: items.count))
        case "whoami":
            return .ok(ObjectJSON.whoami(request.user))
        case "permissions", "topic-permissions":
            return try await permissions(Array(path.dropFirst()), topic: path.first == "topic-permissions", query: query)
        case "definitions":
            return .ok(Definitions.export(try await snapshot([.queues, .exchanges, .bindings])))
        default:
            throw .notFound
        }
    }

    private func queues(_ rest: [String], _ request: APIRequest) async throws(RequestError) -> APIResponse {
        var query = try ListQuery(request.query, node: "")
        let vhost = rest.first
        if rest.count < 2, query.sort == nil, !query.sortReverse, let page = query.page {
            return .ok(try await queuePage(vhost: vhost, page: page, query: query, request.scope))
        }
        if rest.count >= 2 {
            // One queue: copy just that one.
            let base = try await snapshot([], vhost: rest[0])
            try requireVhost(rest[0], in: base)
            query.options.node = base.nodeName
            let found: [QueueSnapshot]
            do { found = try await broker.queueSnapshots([QueueKey(vhost: rest[0], name: rest[1])]) } catch {
                throw .notFound
            }
            guard let queue = found.first else { throw .notFound }
            return try await queueDetail(queue, rest, request, query: query, node: base.nodeName)
        }
        let snapshot = try await snapshot(.queues, vhost: vhost)
        query.options.node = snapshot.nodeName
        if let vhost { try requireVhost(vhost, in: snapshot) }
        let filter = try query.matcher()
        let visible = snapshot.queues.filter { request.scope.loginVhosts.contains($0.vhost) }
        var selected = visible.filter { filter($0.name) }
        // RabbitMQ lists by vhost then name.
        selected.sort { $0.vhost == $1.vhost ? $0.name < $1.name : $0.vhost < $1.vhost }
        let series = query.options.disableStats ? [:] : sampler.allQueues()
        let items = selected.map {
            QueueJSON.render($0, series: series[StatsSampler.key($0.vhost, $0.name)], options: query.options)
        }
        return .ok(try query.respond(items, total: visible.count))
    }

    /// A page in name order: names are filtered, sorted and paged first, and only the page's
    /// queues are copied and rendered (a 500-queue page of 10,000 queues costs 500, not 10,000).
    private func queuePage(
        vhost: String?, page: Int, query: ListQuery, _ scope: RequestScope
    ) async throws(RequestError) -> JSON {
        var query = query
        let base = try await snapshot([], vhost: vhost)
        if let vhost { try requireVhost(vhost, in: base) }
        query.options.node = base.nodeName
        let keys: [QueueKey]
        do {
            keys = try await broker.queueKeys(vhost: vhost).filter { scope.loginVhosts.contains($0.vhost) }
        } catch {
            throw .notFound
        }
        let filter = try query.matcher()
        var selected = keys.filter { filter($0.name) }
        selected.sort { $0.vhost == $1.vhost ? $0.name < $1.name : $0.vhost < $1.vhost }
        let start = min((page - 1) * query.pageSize, selected.count)
        let window = Array(selected[start..<min(start + query.pageSize, selected.count)])
        let queues: [QueueSnapshot]
        do { queues = try await broker.queueSnapshots(window) } catch { throw .notFound }
        let series = query.options.disableStats ? [:] : sampler.allQueues()
        let rendered = queues.map {
            QueueJSON.render($0, series: series[StatsSampler.key($0.vhost, $0.name)], options: query.options)
        }
        return try query.respondPage(rendered, filtered: selected.count, total: keys.count)
    }

    private func queueDetail(
        _ queue: QueueSnapshot, _ rest: [String], _ request: APIRequest, query: ListQuery, node: String
    ) async throws(RequestError) -> APIResponse {
        if rest.count == 3 && rest[2] == "bindings" {
            let bindings = try await self.snapshot(.bindings, vhost: rest[0]).bindings
            return .ok(.array(bindings.filter { $0.destinationIsQueue && $0.destination == queue.name }
                .map(ObjectJSON.binding)))
        }
        if rest.count == 3 && rest[2] == "peek" {
            // Warren's extension: the head messages, with no side effect at all.
            let count = Int(request.query["count"] ?? "1") ?? 1
            let (vhost, name) = (queue.vhost, queue.name)
            let messages = try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.fetch(vhost: vhost, queue: name, count: max(0, count), mode: .peek)
            }
            return .ok(Self.render(messages, base64: request.query["encoding"] == "base64", truncate: nil))
        }
        guard rest.count == 2 else { throw .notFound }
        var rendered = QueueJSON.render(queue, series: sampler.queue(queue.vhost, queue.name), options: query.options)
        if !query.options.disableStats, case .object(var pairs) = rendered {
            // Detail-only fields of a single queue. incoming and deliveries hold per-exchange and
            // per-channel rates, which RabbitMQ's default (basic) rates mode leaves empty too.
            let consumers = try await self.snapshot(.consumers, vhost: queue.vhost).consumers
                .filter { $0.queue == queue.name }.sorted { $0.tag < $1.tag }
            pairs += [("consumer_details", .array(consumers.map { ObjectJSON.consumer($0, node: node) })),
                      ("deliveries", .array([])), ("incoming", .array([]))]
            rendered = .sorted(pairs)
        }
        return .ok(query.select(rendered))
    }

    private func exchanges(_ rest: [String], _ request: APIRequest) async throws(RequestError) -> APIResponse {
        var query = try ListQuery(request.query, node: "")
        let vhost = rest.first
        let snapshot = try await snapshot(rest.count >= 3 ? [.exchanges, .bindings] : .exchanges, vhost: vhost)
        query.options.node = snapshot.nodeName
        if let vhost { try requireVhost(vhost, in: snapshot) }
        let series = sampler.allExchanges()
        if rest.count >= 2 {
            let name = Self.exchangeName(rest[1])
            guard let exchange = snapshot.exchanges.first(where: { $0.name == name }) else { throw .notFound }
            if rest.count == 4 && rest[2] == "bindings" && (rest[3] == "source" || rest[3] == "destination") {
                let asSource = rest[3] == "source"
                let matching = snapshot.bindings.filter {
                    asSource ? $0.source == name : (!$0.destinationIsQueue && $0.destination == name)
                }
                return .ok(.array(matching.map(ObjectJSON.binding)))
            }
            guard rest.count == 2 else { throw .notFound }
            return .ok(query.select(ObjectJSON.exchange(
                exchange, series: series[StatsSampler.key(exchange.vhost, exchange.name)], options: query.options)))
        }
        let filter = try query.matcher()
        let visible = snapshot.exchanges.filter { request.scope.loginVhosts.contains($0.vhost) }
        let items = visible.filter { filter($0.name) }
            .sorted { $0.vhost == $1.vhost ? $0.name < $1.name : $0.vhost < $1.vhost }
            .map { ObjectJSON.exchange($0, series: series[StatsSampler.key($0.vhost, $0.name)], options: query.options) }
        return .ok(try query.respond(items, total: visible.count))
    }

    private func bindings(_ rest: [String], _ request: APIRequest) async throws(RequestError) -> APIResponse {
        let query = try ListQuery(request.query, node: "")
        let vhost = rest.first
        let snapshot = try await snapshot(.bindings, vhost: vhost)
        if let vhost { try requireVhost(vhost, in: snapshot) }
        var bindings = snapshot.bindings.filter { request.scope.loginVhosts.contains($0.vhost) }
        // /api/bindings/{vhost}/e/{source}/q|e/{destination}[/{props}]
        if rest.count >= 5, rest[1] == "e", rest[3] == "q" || rest[3] == "e" {
            let source = Self.exchangeName(rest[2])
            bindings = bindings.filter {
                $0.source == source && $0.destination == rest[4] && $0.destinationIsQueue == (rest[3] == "q")
            }
            if rest.count == 6 {
                guard let one = bindings.first(where: { ObjectJSON.propertiesKey($0) == rest[5] }) else {
                    throw .notFound
                }
                return .ok(ObjectJSON.binding(one))
            }
        } else if rest.count > 1 {
            throw .notFound
        }
        return .ok(try query.respond(bindings.map(ObjectJSON.binding), total: bindings.count))
    }
}

extension ListQuery {
    /// The paged envelope for one already-selected page (the fast path without a sort key).
    func respondPage(_ page: [JSON], filtered: Int, total: Int) throws(RequestError) -> JSON {
        let number = self.page ?? 1
        let pageCount = max(1, (filtered + pageSize - 1) / pageSize)
        guard number <= pageCount else { throw Self.outOfRange(number, pageSize, filtered) }
        return .sorted([
            ("filtered_count", .int(filtered)), ("item_count", .int(page.count)), ("items", .array(page.map(select))),
            ("page", .int(number)), ("page_count", .int(pageCount)), ("page_size", .int(pageSize)),
            ("total_count", .int(total)),
        ])
    }
}
