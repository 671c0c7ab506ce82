import Testing

@testable import WarrenWire

@Suite("FieldValue accessors and literals")
struct FieldValueTests {
    @Test func literals() {
        let string: FieldValue = "text"
        let bool: FieldValue = false
        let integer: FieldValue = -7
        let array: FieldValue = [1, "two", true]
        #expect(string == .string("text"))
        #expect(bool == .bool(false))
        #expect(integer == .int64(-7))
        #expect(array == .array([.int64(1), .string("two"), .bool(true)]))
    }

    @Test(arguments: [
        (FieldValue.int8(-8), Int64(-8)), (.uint8(255), 255), (.int16(.min), Int64(Int16.min)), (.uint16(.max), 65535),
        (.int32(.min), Int64(Int32.min)), (.uint32(.max), 4_294_967_295), (.int64(.max), .max), (.int64(.min), .min),
    ])
    func int64ValueWidensEveryIntegerType(value: FieldValue, expected: Int64) {
        #expect(value.int64Value == expected)
    }

    @Test(arguments: [
        FieldValue.bool(true), .float(1), .double(1), .decimal(scale: 0, value: 1), .string("1"), .timestamp(1), .void,
        .bytes([1]), .binaryString([1]), .array([1]), .table(["a": 1]),
    ])
    func int64ValueIsNilForNonIntegers(value: FieldValue) {
        #expect(value.int64Value == nil)
    }

    @Test func typedAccessors() {
        #expect(FieldValue.string("s").stringValue == "s")
        #expect(FieldValue.binaryString([0xFF]).stringValue == nil)
        #expect(FieldValue.bytes(Array("s".utf8)).stringValue == nil)
        #expect(FieldValue.bool(true).boolValue == true)
        #expect(FieldValue.int64(1).boolValue == nil)
        #expect(FieldValue.table(["k": .void]).tableValue == ["k": .void])
        #expect(FieldValue.array([]).tableValue == nil)
        #expect(FieldValue.array([.void]).arrayValue == [.void])
        #expect(FieldValue.table([:]).arrayValue == nil)
    }

    @Test func stringAndBinaryStringShareTheSTypeCode() {
        #expect(FieldValue.string("").typeCode == UInt8(ascii: "S"))
        #expect(FieldValue.binaryString([]).typeCode == UInt8(ascii: "S"))
        #expect(FieldValue.string("a") != .binaryString([0x61]))
    }
}
