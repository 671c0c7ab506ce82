import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
@testable import WarrenMonitor

/// A management API answered from the test: a large broker's overview, the inventory, pages.
/// Records every request the source makes.
final class ScriptedManagement: ManagementTransport, Sendable {
    let queueCount: Int
    /// Exchanges besides the default one, each bound to queue "q1".
    let exchanges: [String]
    private let recorded = Mutex<[String]>([])

    init(queueCount: Int, exchanges: [String] = []) {
        self.queueCount = queueCount
        self.exchanges = exchanges
    }

    var urls: [String] { recorded.withLock { $0 } }

    /// Queue i: every tenth dead-letters through the default exchange into "dlq".
    func queue(_ i: Int, statistics: Bool) -> String {
        let arguments = i % 10 == 0 ? #"{"x-dead-letter-exchange":"","x-dead-letter-routing-key":"dlq"}"# : "{}"
        let stats = statistics ? #","messages_details":{"rate":0.5},"message_stats":{"publish":7,"publish_details":{"rate":1.5}}"# : ""
        return #"{"name":"q\#(i)","vhost":"/","type":"classic","messages":\#(i % 5 == 0 ? 1 : 0),"arguments":\#(arguments)\#(stats)}"#
    }

    func send(_ request: ManagementRequest, timeout: TimeAmount) async throws -> ManagementResponse {
        recorded.withLock { $0.append(request.url) }
        let components = URLComponents(string: request.url)!
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let body: String
        switch components.path {
        case "/api/overview": body = #"{"object_totals":{"queues":\#(queueCount + 1),"exchanges":7,"consumers":0,"connections":0}}"#
        case "/api/exchanges":
            body = "[" + exchanges.map { #"{"name":"\#($0)","vhost":"/","type":"fanout"}"# }.joined(separator: ",") + "]"
        case let path where path.hasPrefix("/api/exchanges/") && path.hasSuffix("/bindings/source"):
            let name = components.percentEncodedPath.split(separator: "/")[3]
            body = #"[{"source":"\#(name)","vhost":"/","destination":"q1","destination_type":"queue","routing_key":""}]"#
        case "/api/nodes", "/api/vhosts", "/api/bindings", "/api/consumers", "/api/connections":
            body = "[]"
        case "/api/queues" where query["pagination"] != "true":
            let statistics = query["disable_stats"] != "true"
            body = "[" + ((0..<queueCount).map { queue($0, statistics: statistics) } + [#"{"name":"dlq","vhost":"/","messages":3}"#])
                .joined(separator: ",") + "]"
        case "/api/queues" where query["pagination"] == "true":
            var items: [String] = []
            if let name = query["name"], query["use_regex"] == "true" {
                let regex = try Regex(name).ignoresCase()
                items = (0..<queueCount).filter { "q\($0)".wholeMatch(of: regex) != nil }.map { queue($0, statistics: true) }
                if "dlq".wholeMatch(of: regex) != nil { items.append(#"{"name":"dlq","vhost":"/","messages_details":{"rate":0}}"#) }
            } else {
                let size = Int(query["page_size"] ?? "100")!
                items = (0..<min(size, queueCount)).map { queue($0, statistics: true) }
            }
            body = #"{"items":[\#(items.joined(separator: ","))],"page":1,"page_count":1}"#
        default:
            return ManagementResponse(status: .notFound, body: ByteBuffer(string: #"{"error":"not_found"}"#))
        }
        return ManagementResponse(status: .ok, body: ByteBuffer(string: body))
    }
}

@Suite("Poll plan")
struct PollPlanTests {
    /// Each periodic read costs RabbitMQ at most 1.5% of a core: never more often than 67 times
    /// its duration, and not more than twice a minute (the inventory) or once (the sources).
    @Test func periodicReadsAreSpacedByWhatTheyCost() {
        let plan = PollPlan()
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(plan.inventoryDue(nil, at: start) && plan.sourcesDue(nil, at: start))
        var record = PollRecord()
        record.inventoryAt = start
        record.inventoryDuration = 0.2
        #expect(!plan.inventoryDue(record, at: start.addingTimeInterval(29)))
        #expect(plan.inventoryDue(record, at: start.addingTimeInterval(30)))
        record.inventoryDuration = 0.7
        #expect(!plan.inventoryDue(record, at: start.addingTimeInterval(46)))
        #expect(plan.inventoryDue(record, at: start.addingTimeInterval(47)))
        record.sourceStatisticsAt = start
        record.sourceStatisticsDuration = 0.3
        #expect(!plan.sourcesDue(record, at: start.addingTimeInterval(59)))
        #expect(plan.sourcesDue(record, at: start.addingTimeInterval(60)))
        record.sourceStatisticsDuration = 1.6
        #expect(!plan.sourcesDue(record, at: start.addingTimeInterval(107)))
        #expect(plan.sourcesDue(record, at: start.addingTimeInterval(108)))
    }

    /// Bindings of a large broker come exchange by exchange: /api/bindings would bring the
    /// default exchange's binding of every queue along.
    @Test func bindingsComeBySourceExchange() async throws {
        let api = ScriptedManagement(queueCount: 2_000, exchanges: ["dlx", "work"])
        let source = try ManagementSource(url: "http://127.0.0.1:1/", transport: api)
        let state = try await source.fetch(focus: PollFocus(rows: 50), previous: nil)
        #expect(!api.urls.contains { URLComponents(string: $0)!.path == "/api/bindings" })
        #expect(api.urls.filter { $0.hasSuffix("/bindings/source") }.count == 2)
        #expect(Set(state.bindings.map(\.source)) == ["dlx", "work"])
    }

    @Test func nameExpressionsMatchExactlyTheNames() throws {
        let plan = PollPlan()
        let names = (0..<130).map { "orders.v\($0)" } + ["a+b(c)", "a", "ab"]
        let expressions = plan.nameExpressions(names.map { QueueID(name: $0) } + [QueueID(vhost: "x", name: "a")])
        #expect(expressions.count == 1)
        #expect(expressions[0].hasPrefix("^orders\\.v") || expressions[0].hasPrefix("^(?:"))
        let regexes = try expressions.map { try Regex($0) }
        func matched(_ name: String) -> Bool { regexes.contains { name.wholeMatch(of: $0) != nil } }
        for name in names { #expect(matched(name), "\(name)") }
        for name in ["ordersXv7", "orders.v7x", "orders.v", "aab(c)", "b", "abc", ""] { #expect(!matched(name), "\(name)") }
    }

    /// Thousands of names without common prefixes: split so that every URL stays under
    /// RabbitMQ's request-line limit and every answer fits a page.
    @Test func nameExpressionsStayWithinTheLimits() throws {
        let plan = PollPlan()
        let names = (0..<3_000).map { "\(UInt64($0) &* 0x9E37_79B9_7F4A_7C15 % 1_000_000_007)-\($0 % 7 == 0 ? "dlq" : "work")" }
        let expressions = plan.nameExpressions(names.map { QueueID(name: $0) })
        #expect(expressions.count > 1)
        #expect(expressions.allSatisfy { PollPlan.encodedLength($0) <= plan.maximumExpressionLength })
        let regexes = try expressions.map { try Regex($0) }
        for name in names.prefix(200) { #expect(regexes.contains { name.wholeMatch(of: $0) != nil }, "\(name)") }
    }

    @Test func detailedQueuesReplaceTheirInventoryEntriesAndNewOnesAreAdded() {
        let inventory = (0..<4).map { (i: Int) in QueueInfo(id: QueueID(name: "q\(i)"), messages: i) }
        var fresh = QueueInfo(id: QueueID(name: "q2"), messages: 20)
        fresh.messagesRate = 1
        let merged = PollPlan().merge(inventory: inventory, detailed: [fresh, QueueInfo(id: QueueID(name: "new"))])
        #expect(merged.map(\.name) == ["q0", "q1", "q2", "q3", "new"])
        #expect(merged[2].messages == 20 && merged[2].messagesRate == 1)
    }

    /// 2,000 queues: one inventory without statistics, a page for the screen, the dead-letter
    /// queue (which holds messages) and its 200 sources by name; never the full list with statistics.
    @Test func aLargeBrokerIsPolledByPlan() async throws {
        let api = ScriptedManagement(queueCount: 2_000)
        let source = try ManagementSource(url: "http://guest:guest@127.0.0.1:1/", transport: api)
        let focus = PollFocus(sort: .messages, descending: true, rows: 100)
        let state = try await source.fetch(focus: focus, previous: nil)
        #expect(state.queues.count == 2_001)
        #expect(state.poll.planned && state.poll.inventory.count == 2_001)
        let queueRequests = api.urls.filter { URLComponents(string: $0)!.path == "/api/queues" }
        #expect(queueRequests.allSatisfy { $0.contains("disable_stats=true") || $0.contains("pagination=true") })
        #expect(queueRequests.filter { $0.contains("disable_stats=true") }.count == 1)
        #expect(queueRequests.contains { $0.contains("sort=messages") && $0.contains("sort_reverse=true") && $0.contains("page_size=100") })
        let snapshot = Snapshot(state: state, source: "test")
        let sources = try #require(snapshot.deadLetters.queue(QueueID(name: "dlq"))).sources
        #expect(sources.count == 200)
        #expect(sources.allSatisfy { snapshot.queueRates[$0]?.publish?.perSecond == 1.5 })
        #expect(snapshot.queue("q1999")?.messages == 0 && snapshot.queue("q1995")?.messages == 1)
        #expect(snapshot.queueRates[QueueID(name: "q1999")]?.publish == nil, "not in view, not a source: no statistics")

        // The next poll reuses the inventory: only the page and the named queues are asked again.
        let before = api.urls.count
        let next = try await source.fetch(focus: focus, previous: state)
        let again = api.urls[before...].filter { URLComponents(string: $0)!.path == "/api/queues" }
        #expect(!again.contains { $0.contains("disable_stats=true") })
        #expect(next.queues.count == 2_001 && next.poll.inventoryAt == state.poll.inventoryAt)
    }

    /// 25,000 queues: the first poll shows the page in view within one listing request; the
    /// inventory is left for the next poll.
    @Test func theFirstLookAtAHugeBrokerIsThePageInView() async throws {
        let api = ScriptedManagement(queueCount: 25_000)
        let source = try ManagementSource(url: "http://127.0.0.1:1/", transport: api)
        let state = try await source.fetch(focus: PollFocus(rows: 100), previous: nil)
        #expect(state.queues.count == 100)
        #expect(state.poll.planned && state.poll.inventoryAt == nil)
        #expect(PollPlan().inventoryDue(state.poll, at: Date()))
        #expect(!api.urls.contains { $0.contains("disable_stats=true") && $0.contains("/api/queues") })
        #expect(state.gaps.contains { $0.contains("reading the full list") })
    }

    @Test func theSourcesOfAnEmptyDeadLetterQueueGetNoStatistics() {
        var empty = DeadLetterQueue(queue: QueueID(name: "dlq"), evidence: [.deadLetterExchange],
                                    sources: [QueueID(name: "a"), QueueID(name: "b")], depth: 0)
        let plan = PollPlan()
        #expect(plan.deadLetterSources(DeadLetterTopology(queues: [empty])).isEmpty)
        #expect(plan.queuesEveryPoll(DeadLetterTopology(queues: [empty]), focus: nil) == [QueueID(name: "dlq")])
        empty.depth = 4
        #expect(plan.deadLetterSources(DeadLetterTopology(queues: [empty])) == [QueueID(name: "a"), QueueID(name: "b")])
    }

    @Test func aSmallBrokerIsReadWhole() async throws {
        let api = ScriptedManagement(queueCount: 20)
        let state = try await ManagementSource(url: "http://127.0.0.1:1/", transport: api).fetch()
        #expect(!state.poll.planned)
        #expect(state.queues.count == 21)
        let queueRequests = api.urls.filter { URLComponents(string: $0)!.path == "/api/queues" }
        #expect(queueRequests.count == 1 && !queueRequests[0].contains("disable_stats"))
    }

    @Test func theNextPollWaitsThreeTimesAsLongAsTheLastOneTook() {
        var schedule = PollSchedule(interval: 5)
        let now = Date(timeIntervalSince1970: 0)
        _ = schedule.start()
        let snapshot = Snapshot(state: BrokerState(), source: "test", takenAt: now)
        let first = schedule.succeeded(snapshot, at: now, duration: 0.5)
        #expect(first == 5)
        _ = schedule.start()
        let second = schedule.succeeded(snapshot, at: now, duration: 4)
        #expect(second == 12)
        #expect(schedule.status.lastPollDuration == 4)
        // A new focus brings the next poll forward, but not within three durations of the last.
        schedule.bringForward(at: now.addingTimeInterval(1))
        #expect(schedule.status.nextPollAt == now.addingTimeInterval(12))
        _ = schedule.start()
        _ = schedule.succeeded(snapshot, at: now, duration: 0.1)
        schedule.bringForward(at: now.addingTimeInterval(1))
        #expect(schedule.status.nextPollAt == now.addingTimeInterval(1))
    }
}
