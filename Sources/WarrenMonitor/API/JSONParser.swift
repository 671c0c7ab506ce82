import Foundation

/// A JSON parser over bytes, for management API responses: RabbitMQ's /api/queues is 15 MB for
/// 10,000 queues with statistics, and Foundation's decoder into a ``JSON`` tree took 1.4 s for it
/// (each value tried as every type in turn, each failure an error). This one reads each value
/// once, and hands the elements of a list over one at a time, so a list is never a tree whole.
///
/// Strict about structure (a truncated or malformed document is an error, never a crash or a
/// read past the end); lenient about text (invalid UTF-8 in a string is repaired).
struct JSONParser {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// Deeper nesting is refused rather than risking the stack.
    static let maximumDepth = 128

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The whole document as one value.
    static func parse(_ data: Data) throws -> JSON {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            let value = try parser.value(depth: 0)
            try parser.end()
            return value
        }
    }

    /// Calls `element` for each element of the list `data` holds: a top-level array, or the
    /// `items` array of an object (a page). Returns the object's other members (empty for an array).
    static func forEachElement(in data: Data, _ element: (JSON) throws -> Void) throws -> [String: JSON] {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            var members: [String: JSON] = [:]
            parser.skipSpace()
            switch parser.peek() {
            case UInt8(ascii: "["):
                try parser.elements(depth: 0, element)
            case UInt8(ascii: "{"):
                var sawItems = false
                try parser.members(depth: 0) { parser, key in
                    if key == "items", parser.peekAfterSpace() == UInt8(ascii: "[") {
                        sawItems = true
                        try parser.elements(depth: 1, element)
                    } else {
                        members[key] = try parser.value(depth: 1)
                    }
                }
                guard sawItems else { throw Failure(offset: parser.index, reason: "not a list") }
            default:
                throw Failure(offset: parser.index, reason: "not a list")
            }
            try parser.end()
            return members
        }
    }

    // MARK: Structure

    private mutating func value(depth: Int) throws -> JSON {
        guard depth < Self.maximumDepth else { throw Failure(offset: index, reason: "nested too deep") }
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"):
            var object: [String: JSON] = [:]
            try members(depth: depth) { parser, key in object[key] = try parser.value(depth: depth + 1) }
            return .object(object)
        case UInt8(ascii: "["):
            var array: [JSON] = []
            try elements(depth: depth) { array.append($0) }
            return .array(array)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case nil:
            throw Failure(offset: index, reason: "unexpected end")
        default:
            return .number(try number())
        }
    }

    /// `{ "key": value, ... }`: `member` reads each value.
    private mutating func members(depth: Int, _ member: (inout JSONParser, String) throws -> Void) throws {
        guard depth < Self.maximumDepth else { throw Failure(offset: index, reason: "nested too deep") }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipSpace()
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            skipSpace()
            guard let next = take() else { throw Failure(offset: index, reason: "unexpected end") }
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Failure(offset: index - 1, reason: "expected , or }") }
        }
    }

    /// `[ value, ... ]`: `element` gets each value.
    private mutating func elements(depth: Int, _ element: (JSON) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(try value(depth: depth + 1))
            skipSpace()
            guard let next = take() else { throw Failure(offset: index, reason: "unexpected end") }
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Failure(offset: index - 1, reason: "expected , or ]") }
        }
    }

    private mutating func end() throws {
        skipSpace()
        guard index == bytes.count else { throw Failure(offset: index, reason: "text after the value") }
    }

    // MARK: Scalars

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            index += 1
        }
        var utf8 = Array(bytes[start..<index])
        while true {
            guard let byte = take() else { throw Failure(offset: index, reason: "unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = take() else { throw Failure(offset: index, reason: "unterminated string") }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
                default: throw Failure(offset: index - 1, reason: "bad escape")
                }
            default:
                utf8.append(byte)
            }
        }
    }

    /// The UTF-8 of a `\uXXXX` escape (the `\u` read), joining a surrogate pair; a lone
    /// surrogate becomes U+FFFD.
    private mutating func unicodeEscape() throws -> [UInt8] {
        var scalar = UInt32(try hex4())
        if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
           bytes[index + 1] == UInt8(ascii: "u") {
            index += 2
            let low = UInt32(try hex4())
            if (0xDC00..<0xE000).contains(low) {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else {
                return Array("\u{FFFD}".utf8) + Array(String(Unicode.Scalar(low) ?? "\u{FFFD}").utf8)
            }
        }
        return Array(String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
    }

    private mutating func hex4() throws -> UInt16 {
        guard bytes.count - index >= 4 else { throw Failure(offset: index, reason: "truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure(offset: index - 1, reason: "bad \\u escape")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func number() throws -> Double {
        let start = index
        var integer = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        var value: Double = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            value = value * 10 + Double(byte - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw Failure(offset: start, reason: "unexpected character") }
        while let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
            integer = false
            index += 1
        }
        // Integers up to 2^53 are exact as read; anything else goes through the standard parser.
        if integer && digits <= 15 { return bytes[start] == UInt8(ascii: "-") ? -value : value }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let parsed = Double(text) else { throw Failure(offset: start, reason: "bad number") }
        return parsed
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw Failure(offset: index, reason: "unexpected end") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw Failure(offset: index + offset, reason: "unexpected character")
        }
        index += count
    }

    // MARK: Bytes

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func peekAfterSpace() -> UInt8? {
        skipSpace()
        return peek()
    }

    private mutating func take() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard take() == byte else { throw Failure(offset: max(0, index - 1), reason: "expected \(Character(Unicode.Scalar(byte)))") }
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
