import Foundation
import Testing
import WarrenDashboard
import WarrenMonitor

/// Compares a rendered grid with `__Snapshots__/<name>.txt`; RECORD_SNAPSHOTS=1 writes it instead.
func assertSnapshot(_ grid: Grid, named name: String, sourceLocation: SourceLocation = #_sourceLocation,
                    file: String = #filePath) throws {
    let folder = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let url = folder.appendingPathComponent("\(name).txt")
    let actual = grid.text + "\n"
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("no snapshot \(url.lastPathComponent); record it with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        return
    }
    if expected != actual {
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(expectedLines.count, actualLines.count)
        Issue.record("""
            \(name) differs from its snapshot at line \(first + 1) (RECORD_SNAPSHOTS=1 re-records):
            expected: \(first < expectedLines.count ? String(expectedLines[first]) : "<end>")
            actual:   \(first < actualLines.count ? String(actualLines[first]) : "<end>")
            """, sourceLocation: sourceLocation)
    }
}

/// The sample broker with two polls behind it (so sparklines have history) and peeked messages.
func sampleState(width: Int, height: Int) throws -> ViewState {
    var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt.addingTimeInterval(2),
                          themeNames: ["default", "light"])
    _ = state.handle(.snapshot(SampleSnapshot.make()))
    _ = state.handle(.peeked(QueueID(name: "orders.dlq"), .success(try samplePeek())))
    return state
}

/// Three dead-lettered messages as a peek returns them: JSON, text and binary bodies.
func samplePeek() throws -> PeekResult {
    let json = """
        {"queue": "orders.dlq", "warnings": ["RabbitMQ now marks the peeked messages redelivered"], "messages": [
          {"index": 1, "redelivered": false, "exchange": "dlx", "routingKey": "orders",
           "properties": {"content_type": "application/json", "delivery_mode": 2, "message_id": "m-1"},
           "headers": {"x-first-death-reason": "rejected", "tenant": "acme", "x-death": []},
           "deadLetter": {"deaths": [{"queue": "orders", "reason": "rejected", "count": 2, "exchange": "orders.topic",
                                      "routingKeys": ["order.created"]}],
                          "firstDeathQueue": "orders", "firstDeathReason": "rejected"},
           "bodyBytes": 27, "bodyEncoding": "json", "body": "{\\n  \\"id\\" : 17,\\n  \\"sku\\" : \\"A-1\\"\\n}",
           "bodyTruncated": false},
          {"index": 2, "redelivered": false, "exchange": "dlx", "routingKey": "orders",
           "properties": {"content_type": "text/plain"},
           "deadLetter": {"deaths": [{"queue": "orders", "reason": "expired", "count": 1, "exchange": "",
                                      "routingKeys": ["orders"]}], "firstDeathQueue": "orders", "firstDeathReason": "expired"},
           "bodyBytes": 11, "bodyEncoding": "text", "body": "hello world", "bodyTruncated": false},
          {"index": 3, "redelivered": true, "exchange": "", "routingKey": "orders.dlq", "properties": {},
           "deadLetter": {"deaths": []},
           "bodyBytes": 4, "bodyEncoding": "hex", "body": "00000000  00 01 fe ff", "bodyTruncated": false}
        ]}
        """
    return try JSONDecoder().decode(PeekResult.self, from: Data(json.utf8))
}

/// Real management responses as one snapshot: RabbitMQ 3.10.8's in Fixtures/, or another
/// broker's in Fixtures/<folder>/ (LavinMQ 1.0.1's in lavinmq-1.0.1), each read in the names of the
/// broker its overview says it is, as ManagementSource reads them.
func fixtureSnapshot(folder: String? = nil) throws -> Snapshot {
    func json(_ name: String) throws -> JSON {
        let subdirectory = folder.map { "Fixtures/" + $0 } ?? "Fixtures"
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: subdirectory))
        return try JSON.parse(try Data(contentsOf: url))
    }
    func list<Resource: ManagementResource>(_ name: String, _ dialect: ManagementDialect) throws -> [Resource] {
        try #require(try json(name).array).compactMap { Resource(json: $0, dialect: dialect) }
    }
    let overview = try json("overview")
    let dialect = BrokerIdentity(overview: overview).dialect
    let state = BrokerState(
        overview: Overview(json: dialect.adapt(overview, as: .overview)),
        nodes: try list("nodes", dialect), vhosts: try list("vhosts", dialect), queues: try list("queues", dialect),
        exchanges: try list("exchanges", dialect), bindings: try list("bindings", dialect),
        consumers: try list("consumers", dialect))
    return Snapshot(state: state, source: "management http://127.0.0.1:15672/", takenAt: SampleSnapshot.takenAt)
}

extension ViewState {
    /// Presses keys in order, returning every effect.
    @discardableResult
    mutating func press(_ keys: Key...) -> [Effect] {
        keys.flatMap { handle(.key($0)) }
    }

    @discardableResult
    mutating func type(_ text: String) -> [Effect] {
        text.flatMap { handle(.key(.character($0))) }
    }
}

/// A replay report as the monitor returns it.
func makeReport(_ progress: ReplayProgress, dryRun: Bool, stop: ReplayStop = .reachedLength) throws -> ReplayReport {
    ReplayReport(replayID: "r1", dryRun: dryRun, progress: progress, stop: stop, queueLength: progress.lengthAtStart)
}
