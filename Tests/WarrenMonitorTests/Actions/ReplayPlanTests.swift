import Foundation
import Testing
import WarrenWire
@testable import WarrenMonitor

@Suite("Replay planning")
struct ReplayPlanTests {
    static let deadAt = Date(timeIntervalSince1970: 1_700_000_000)

    /// A message dead-lettered from `queue` after being published to `exchange` with `keys`.
    static func deadLetter(queue: String = "orders", reason: String = "rejected", exchange: String = "shop",
                           keys: [String] = ["order.created"], extra: [(String, FieldValue)] = []) -> BasicProperties {
        let death: FieldTable = [
            "count": .int64(1), "reason": .string(reason), "queue": .string(queue),
            "time": .timestamp(UInt64(deadAt.timeIntervalSince1970)), "exchange": .string(exchange),
            "routing-keys": .array(keys.map { .string($0) }),
        ]
        var headers = FieldTable([("x-death", .array([.table(death)])), ("x-first-death-queue", .string(queue)),
                                  ("x-first-death-reason", .string(reason)), ("x-first-death-exchange", .string(exchange))]
            + extra)
        headers["tenant"] = .string("acme")
        return BasicProperties(headers: headers, deliveryMode: 2, messageID: "m-1")
    }

    @Test func originQueueByDefault() throws {
        let planner = ReplayPlanner(replayID: "r1", target: .origin)
        guard case .publish(let exchange, let key, let properties, let label) =
            planner.decide(properties: Self.deadLetter(), sequence: 7)
        else { Issue.record("expected a publish"); return }
        #expect(exchange == "" && key == "orders" && label == "queue orders")
        // Original properties and headers are kept; the stamp is added.
        #expect(properties.messageID == "m-1" && properties.deliveryMode == 2)
        #expect(properties.headers?["tenant"] == .string("acme"))
        #expect(properties.headers?["x-death"] != nil)
        #expect(properties.headers?[ReplayPlanner.stampHeader] == .string("r1/7"))
        #expect(replaySequence(properties.headers, replayID: "r1") == 7)
    }

    @Test func originalExchangeWithAllRoutingKeys() throws {
        let planner = ReplayPlanner(replayID: "r1", target: .originalExchange)
        let decision = planner.decide(properties: Self.deadLetter(keys: ["a", "b", "c"]), sequence: 1)
        guard case .publish(let exchange, let key, let properties, _) = decision else {
            Issue.record("expected a publish"); return
        }
        #expect(exchange == "shop" && key == "a")
        #expect(properties.headers?["CC"] == .array([.string("b"), .string("c")]))
    }

    @Test func userNamedTargets() {
        let toQueue = ReplayPlanner(replayID: "r", target: .queue("elsewhere"))
        guard case .publish("", "elsewhere", _, _) = toQueue.decide(properties: BasicProperties(), sequence: 1) else {
            Issue.record("a named queue needs no x-death"); return
        }
        let toExchange = ReplayPlanner(replayID: "r", target: .exchange("retry", routingKey: nil))
        guard case .publish("retry", "order.created", _, _) = toExchange.decide(properties: Self.deadLetter(), sequence: 1)
        else { Issue.record("expected the original key on the named exchange"); return }
    }

    @Test func skipsWhatItCannotPlace() {
        let planner = ReplayPlanner(replayID: "r", target: .origin)
        guard case .skip = planner.decide(properties: BasicProperties(), sequence: 1) else {
            Issue.record("no x-death: no origin"); return
        }
    }

    @Test func stopsAtItsOwnMessages() {
        let planner = ReplayPlanner(replayID: "r1", target: .origin)
        var properties = Self.deadLetter()
        properties.headers?[ReplayPlanner.stampHeader] = .string("r1/3")
        #expect(planner.decide(properties: properties, sequence: 9) == .ownMessage)
        // Another replay's stamp is just a header.
        properties.headers?[ReplayPlanner.stampHeader] = .string("r0/3")
        guard case .publish = planner.decide(properties: properties, sequence: 9) else {
            Issue.record("another replay's message is replayed"); return
        }
    }

    @Test func filters() throws {
        let now = Self.deadAt + 3600
        func decide(_ filter: String, _ properties: BasicProperties = Self.deadLetter()) throws -> Bool {
            let planner = ReplayPlanner(replayID: "r", target: .origin,
                                        filters: [try #require(ReplayFilter(parsing: filter))])
            if case .publish = planner.decide(properties: properties, sequence: 1, now: now) { return true }
            return false
        }
        #expect(try decide("reason=rejected"))
        #expect(try !decide("reason=expired"))
        #expect(try decide("queue=orders"))
        #expect(try !decide("queue=billing"))
        #expect(try decide("age>30m"))
        #expect(try !decide("age>2h"))
        #expect(try decide("age<2h"))
        #expect(try decide("header.tenant=acme"))
        #expect(try !decide("header.tenant=other"))
        #expect(ReplayFilter(parsing: "nonsense") == nil)
        #expect(ReplayFilter(parsing: "age>soon") == nil)
    }

    @Test func targetParsing() {
        #expect(ReplayTarget(parsing: "origin") == .origin)
        #expect(ReplayTarget(parsing: "original-exchange") == .originalExchange)
        #expect(ReplayTarget(parsing: "queue:q1") == .queue("q1"))
        #expect(ReplayTarget(parsing: "exchange:x") == .exchange("x", routingKey: nil))
        #expect(ReplayTarget(parsing: "exchange:x:a.b") == .exchange("x", routingKey: "a.b"))
        #expect(ReplayTarget(parsing: "elsewhere") == nil)
    }

    @Test func deadLetterHistoryOriginIsTheFirstDeath() {
        // Newest first: died in orders, then expired in orders.retry.
        let first: FieldTable = ["queue": "orders", "reason": "rejected", "count": .int64(2), "exchange": "",
                                 "routing-keys": ["orders"]]
        let later: FieldTable = ["queue": "orders.retry", "reason": "expired", "count": .int64(2), "exchange": "",
                                 "routing-keys": ["orders.retry"]]
        let headers: FieldTable = ["x-death": .array([.table(later), .table(first)]), "x-first-death-queue": "orders"]
        let history = DeadLetterHistory(headers: headers)
        #expect(history.origin?.queue == "orders")
        #expect(history.reason == "rejected")
        #expect(history.deaths.count == 2)
    }
}
