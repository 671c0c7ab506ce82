import NIOCore
import Testing
@testable import WarrenBroker

@Suite struct RecordFormatTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    private func file(_ payloads: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for payload in payloads { RecordFormat.write(ByteBuffer(string: payload), into: &buffer) }
        return buffer
    }

    @Test func roundTrip() {
        let scan = RecordFormat.scan(file(["one", "two", String(repeating: "3", count: 70_000)]))
        #expect(scan.records.map { String(buffer: $0) } == ["one", "two", String(repeating: "3", count: 70_000)])
        #expect(scan.droppedBytes == 0)
        #expect(scan.validLength == 3 * 8 + 6 + 70_000)
    }

    @Test func everyCutKeepsTheCompleteRecordsAndDropsTheTornOne() {
        let full = file(["alpha", "beta", "gamma"])
        let ends = [13, 25, 38]
        for cut in 0...full.readableBytes {
            let scan = RecordFormat.scan(full.getSlice(at: 0, length: cut)!)
            let complete = ends.filter { $0 <= cut }.count
            #expect(scan.records.count == complete, "cut at \(cut)")
            #expect(scan.validLength == (complete == 0 ? 0 : ends[complete - 1]))
            #expect(scan.validLength + scan.droppedBytes == cut)
        }
    }

    @Test func aFlippedBitStopsTheScanAtThatRecord() {
        let full = file(["alpha", "beta", "gamma"])
        for offset in 13..<25 {
            var damaged = full
            damaged.setInteger(damaged.getInteger(at: offset, as: UInt8.self)! ^ 0x10, at: offset)
            let scan = RecordFormat.scan(damaged)
            #expect(scan.records.map { String(buffer: $0) } == ["alpha"], "damage at \(offset)")
            #expect(scan.droppedBytes == 25)
        }
    }

    @Test func zeroFilledTailIsNotARecord() {
        var buffer = file(["alpha"])
        buffer.writeRepeatingByte(0, count: 64)
        let scan = RecordFormat.scan(buffer)
        #expect(scan.records.count == 1)
        #expect(scan.droppedBytes == 64)
    }

    @Test func absurdLengthIsTorn() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32.max)
        buffer.writeInteger(UInt32(0))
        buffer.writeRepeatingByte(1, count: 100)
        #expect(RecordFormat.scan(buffer).records.isEmpty)
    }
}
