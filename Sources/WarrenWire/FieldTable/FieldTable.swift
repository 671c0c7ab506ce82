import NIOCore

/// An AMQP field table: an ordered list of (name, value) pairs.
///
/// A table decoded off the wire keeps its raw bytes, so a broker can pass message headers through
/// unchanged (key order and duplicate keys included) without decoding them, and decoding happens
/// only when someone reads a value. A table built in code keeps its entries and is encoded once,
/// when written.
public struct FieldTable: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        /// Validated encoded entries, without the 4-byte length prefix.
        case raw(ByteBuffer)
        case entries([(String, FieldValue)])
    }

    @usableFromInline
    var storage: Storage

    /// An empty table.
    public init() {
        storage = .entries([])
    }

    /// A table with these entries, in this order. Duplicate keys are kept.
    public init(_ entries: [(String, FieldValue)]) {
        storage = .entries(entries)
    }

    /// A table over already-validated encoded entries.
    @usableFromInline
    init(validatedRaw bytes: ByteBuffer) {
        storage = .raw(bytes)
    }

    /// The entries, in wire order.
    public var entries: [(String, FieldValue)] {
        switch storage {
        case .entries(let entries):
            return entries
        case .raw(var bytes):
            var result: [(String, FieldValue)] = []
            while bytes.readableBytes > 0 {
                // The bytes were validated when the table was read, so decoding cannot fail.
                guard let entry = try? bytes.readFieldTableEntry() else { break }
                result.append(entry)
            }
            return result
        }
    }

    public var isEmpty: Bool {
        switch storage {
        case .entries(let entries): return entries.isEmpty
        case .raw(let bytes): return bytes.readableBytes == 0
        }
    }

    public var count: Int { entries.count }

    public var keys: [String] { entries.map(\.0) }

    /// The first value stored under `key`, or `nil`.
    public subscript(key: String) -> FieldValue? {
        get {
            switch storage {
            case .entries(let entries):
                return entries.first(where: { $0.0 == key })?.1
            case .raw(var bytes):
                while bytes.readableBytes > 0 {
                    guard let (name, value) = try? bytes.readFieldTableEntry() else { return nil }
                    if name == key { return value }
                }
                return nil
            }
        }
        set {
            var current = entries
            if let index = current.firstIndex(where: { $0.0 == key }) {
                if let newValue {
                    current[index].1 = newValue
                } else {
                    current.remove(at: index)
                }
            } else if let newValue {
                current.append((key, newValue))
            }
            storage = .entries(current)
        }
    }

    /// The encoded entries (without the length prefix).
    public func encodedEntries() throws(AMQPWireError) -> ByteBuffer {
        switch storage {
        case .raw(let bytes):
            return bytes
        case .entries(let entries):
            let size = try FieldTable.encodedSize(of: entries)
            var buffer = ByteBuffer()
            buffer.writeAMQP(size: size) { writer in
                for (key, value) in entries {
                    writer.writeShortString(key)
                    writer.writeFieldValue(value)
                }
            }
            return buffer
        }
    }
}

extension FieldTable: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        self.init(elements)
    }
}

extension FieldTable: Hashable {
    /// Two tables are equal when they hold the same entries in the same order.
    public static func == (lhs: FieldTable, rhs: FieldTable) -> Bool {
        if case .raw(let l) = lhs.storage, case .raw(let r) = rhs.storage { return l == r }
        let l = lhs.entries
        let r = rhs.entries
        return l.count == r.count && zip(l, r).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension FieldTable: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "]"
    }
}
