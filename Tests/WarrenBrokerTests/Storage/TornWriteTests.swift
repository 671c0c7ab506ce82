import Foundation
import NIOCore
import Testing
import WarrenClient
@testable import WarrenBroker

/// Cuts the newest message store segment at random offsets: the broker starts, keeps every
/// message whose record is complete and drops the torn one.
@Suite struct TornWriteTests {
    @Test func cutNewestSegmentAtRandomOffsets() async throws {
        let original = try TemporaryDirectory()
        defer { original.remove() }
        let broker = try await startBroker(original)
        let connection = try await connect(broker)
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("torn", durable: true)
        try await channel.confirmSelect()
        let bodies = (0..<40).map { "message \($0) " + String(repeating: "x", count: 50 * $0) }
        for body in bodies {
            try await channel.publish(ByteBuffer(string: body), routingKey: "torn", properties: persistent)
        }
        #expect(try await channel.waitForConfirms().allAcked)
        try await connection.close()
        try await broker.shutdown()

        let segment = try #require(original.files(in: "msg_store").last)
        let contents = try Data(contentsOf: URL(fileURLWithPath: original.path + "/msg_store/" + segment))
        // Record boundaries: each record is an 8-byte header plus its payload.
        var ends: [Int] = []
        var offset = 0
        while offset + 8 <= contents.count {
            let length = contents[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 8 + length
            ends.append(offset)
        }
        #expect(ends.count == bodies.count && offset == contents.count)

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let cut = Int.random(in: 1..<contents.count, using: &generator)
            let copy = try TemporaryDirectory()
            defer { copy.remove() }
            try FileManager.default.removeItem(atPath: copy.path)
            try FileManager.default.copyItem(atPath: original.path, toPath: copy.path)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy.path + "/msg_store/" + segment))
            try handle.truncate(atOffset: UInt64(cut))
            try handle.close()

            let complete = ends.filter { $0 <= cut }.count
            let restarted = try await startBroker(copy)
            let client = try await connect(restarted)
            let reader = try await client.openChannel()
            let recovered = try await drain(reader, "torn").map(\.bodyString)
            #expect(recovered == Array(bodies.prefix(complete)), "cut at \(cut) of \(contents.count)")
            try await client.close()
            try await restarted.shutdown()
        }
    }
}
