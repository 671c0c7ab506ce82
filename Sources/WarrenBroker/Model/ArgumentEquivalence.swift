import WarrenWire

/// RabbitMQ's comparison of the arguments of a redeclared queue or exchange, and its wording
/// when they differ.
enum ArgumentEquivalence {
    /// Throws 406 when `key` differs between the two tables. `subject` reads like
    /// "queue 'q' in vhost '/'". Integer types compare by value, as RabbitMQ's type_compatible does.
    static func check(_ key: String, received: FieldTable, current: FieldTable, subject: String) throws(BrokerError) {
        let new = received[key]
        let old = current[key]
        guard !same(new, old) else { return }
        let detail: String
        if let new, let old {
            detail = "received '\(text(new))' but current is '\(text(old))'"
        } else {
            detail = "received \(describe(new)) but current is \(describe(old))"
        }
        throw .precondition("inequivalent arg '\(key)' for \(subject): \(detail)")
    }

    static func same(_ a: FieldValue?, _ b: FieldValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            if let i = x.int64Value, let j = y.int64Value { return i == j }
            return x == y
        default: return false
        }
    }

    static func text(_ value: FieldValue) -> String {
        value.stringValue ?? value.int64Value.map(String.init) ?? value.boolValue.map(String.init) ?? "\(value)"
    }

    private static func describe(_ value: FieldValue?) -> String {
        guard let value else { return "none" }
        return "the value '\(text(value))' of type '\(typeName(value))'"
    }

    /// RabbitMQ's names for field-table types.
    static func typeName(_ value: FieldValue) -> String {
        switch value {
        case .bool: return "bool"
        case .int8: return "byte"
        case .uint8: return "unsignedbyte"
        case .int16: return "short"
        case .uint16: return "unsignedshort"
        case .int32: return "signedint"
        case .uint32: return "unsignedint"
        case .int64: return "long"
        case .float: return "float"
        case .double: return "double"
        case .decimal: return "decimal"
        case .string, .binaryString: return "longstr"
        case .array: return "array"
        case .timestamp: return "timestamp"
        case .table: return "table"
        case .void: return "void"
        case .bytes: return "binary"
        }
    }

    /// How Erlang's `~p` prints a field value, as in RabbitMQ's binding validation errors.
    /// Tables print as `[{<<"key">>,type,value}]` and arrays as `[{type,value}]`.
    static func erlangTerm(_ value: FieldValue) -> String {
        switch value {
        case .table(let table):
            let entries = table.entries.map { "{<<\"\($0.0)\">>,\(typeName($0.1)),\(erlangTerm($0.1))}" }
            return "[" + entries.joined(separator: ",") + "]"
        case .array(let items):
            return "[" + items.map { "{\(typeName($0)),\(erlangTerm($0))}" }.joined(separator: ",") + "]"
        default:
            if let s = value.stringValue { return "<<\"\(s)\">>" }
            if let n = value.int64Value { return String(n) }
            if let b = value.boolValue { return String(b) }
            return text(value)
        }
    }
}
