import Foundation
import NIOCore
import Testing
@testable import WarrenMonitor

/// A management API that truncates, floods, lies about types, stalls, fails, resets or speaks
/// no HTTP: the poller reports an error for the status line and keeps polling; `warren queues`
/// prints one line and exits with a code. Never a crash, never a hang.
@Suite("A hostile management API", .serialized)
struct HostileManagementTests {
    @Test(arguments: HostileManagementServer.Mode.allCases)
    func thePollerReportsAndGoesOn(mode: HostileManagementServer.Mode) async throws {
        let server = try HostileManagementServer(mode)
        defer { server.stop() }
        let source = try ManagementSource(url: server.url, options: ManagementOptions(timeout: .seconds(3)))
        let poller = Poller(source: source, interval: 1)
        for attempt in 1...(mode == .slow ? 1 : 2) {
            let status = await poller.poll()
            if mode == .wrongTypes {
                // Wrong types are left out, not fatal: the queue with a name is kept.
                if let snapshot = status.snapshot {
                    #expect(snapshot.queues.map(\.name).contains("ok") || status.error != nil)
                    continue
                }
            }
            let error = try #require(status.error, "\(mode): poll \(attempt) reported no error")
            #expect(status.consecutiveFailures == attempt)
            #expect(!error.description.contains("\n"), "one line for the status bar: \(error)")
            #expect(error.description.count < 400, "short enough for a status bar: \(error)")
            if mode == .huge { #expect(error.description.contains("larger than 512 MiB"), "\(error)") }
        }
    }

    @Test(arguments: HostileManagementServer.Mode.allCases)
    func warrenQueuesPrintsOneLine(mode: HostileManagementServer.Mode) async throws {
        let server = try HostileManagementServer(mode)
        defer { server.stop() }
        let result = try await Live.run(Live.warrenBinary, ["queues", "--management", server.url],
                                        clearing: ["WARREN_AMQP_URL", "WARREN_MANAGEMENT_URL"])
        if mode == .wrongTypes && result.status == 0 {
            #expect(result.stdout.contains("ok"), "the well-formed queue is listed: \(result.stdout)")
            return
        }
        #expect(result.status != 0, "\(mode): \(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.hasPrefix("warren queues: "), "\(result.stderr)")
    }
}
