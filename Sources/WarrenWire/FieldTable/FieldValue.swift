import NIOCore

/// A value in an AMQP field table or field array, with RabbitMQ's type codes.
///
/// RabbitMQ reads and writes a different set of codes than the 0-9-1 PDF lists (there is no
/// short string, `s` is a signed 16-bit integer, `x` a byte array); these are RabbitMQ's.
public enum FieldValue: Sendable, Hashable {
    /// `t`
    case bool(Bool)
    /// `b`
    case int8(Int8)
    /// `B`
    case uint8(UInt8)
    /// `s`
    case int16(Int16)
    /// `u`
    case uint16(UInt16)
    /// `I`
    case int32(Int32)
    /// `i`
    case uint32(UInt32)
    /// `l`
    case int64(Int64)
    /// `f`
    case float(Float)
    /// `d`
    case double(Double)
    /// `D`: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: Int32)
    /// `S` holding valid UTF-8.
    case string(String)
    /// `S` holding bytes that are not valid UTF-8; written back unchanged.
    case binaryString([UInt8])
    /// `A`
    case array([FieldValue])
    /// `T`: seconds since the Unix epoch.
    case timestamp(UInt64)
    /// `F`
    case table(FieldTable)
    /// `V`
    case void
    /// `x`
    case bytes([UInt8])

    /// The type octet that introduces this value on the wire.
    public var typeCode: UInt8 {
        switch self {
        case .bool: return UInt8(ascii: "t")
        case .int8: return UInt8(ascii: "b")
        case .uint8: return UInt8(ascii: "B")
        case .int16: return UInt8(ascii: "s")
        case .uint16: return UInt8(ascii: "u")
        case .int32: return UInt8(ascii: "I")
        case .uint32: return UInt8(ascii: "i")
        case .int64: return UInt8(ascii: "l")
        case .float: return UInt8(ascii: "f")
        case .double: return UInt8(ascii: "d")
        case .decimal: return UInt8(ascii: "D")
        case .string, .binaryString: return UInt8(ascii: "S")
        case .array: return UInt8(ascii: "A")
        case .timestamp: return UInt8(ascii: "T")
        case .table: return UInt8(ascii: "F")
        case .void: return UInt8(ascii: "V")
        case .bytes: return UInt8(ascii: "x")
        }
    }
}

extension FieldValue {
    /// The value as a string, for `S` values that hold UTF-8.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Any integer type widened to `Int64`; `nil` for other types or a `uint64` that does not fit.
    public var int64Value: Int64? {
        switch self {
        case .int8(let v): return Int64(v)
        case .uint8(let v): return Int64(v)
        case .int16(let v): return Int64(v)
        case .uint16(let v): return Int64(v)
        case .int32(let v): return Int64(v)
        case .uint32(let v): return Int64(v)
        case .int64(let v): return v
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var tableValue: FieldTable? {
        if case .table(let t) = self { return t }
        return nil
    }

    public var arrayValue: [FieldValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

extension FieldValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension FieldValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension FieldValue: ExpressibleByIntegerLiteral {
    /// Integer literals become `l` (signed 64-bit), as RabbitMQ's clients write integers.
    public init(integerLiteral value: Int64) { self = .int64(value) }
}

extension FieldValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: FieldValue...) { self = .array(elements) }
}
