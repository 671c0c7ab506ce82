import Foundation
import NIOCore
import WarrenBroker
import WarrenDashboard
import WarrenMonitor
import WarrenWire

/// The parsers Warren runs on bytes it does not control, each as a fuzz target: a function of
/// arbitrary bytes that must never crash, hang or trip a sanitizer, and that checks a round-trip
/// property where the format has one (decode(encode(x)) == x).
enum FuzzTargets {
    static let all: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "frames": frames,
        "fieldtable": fieldTable,
        "contentheader": contentHeader,
        "json": json,
        "management": management,
        "export": export,
        "filter": filter,
        "theme": theme,
        "config": config,
        "records": records,
        "requests": ManagementRequests.request,
    ]

    /// A failed round trip: a crash libFuzzer reports with the input that caused it.
    static func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fatalError("round trip broken: \(what())") }
    }

    static func buffer(_ bytes: UnsafeRawBufferPointer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }

    /// A byte stream as a broker or client reads it: frames split off, decoded and assembled into
    /// commands, until the stream ends or the first error (which closes a real connection). Every
    /// decoded frame, encoded again, must decode to the same frame.
    static func frames(_ bytes: UnsafeRawBufferPointer) {
        var input = buffer(bytes)
        let decoder = FrameDecoder(frameMax: 4096)
        var assembler = CommandAssembler(maximumBodySize: 1 << 20)
        while true {
            let before = input.readerIndex
            let frame: Frame?
            do {
                frame = try decoder.decodeFrame(from: &input)
            } catch {
                return
            }
            guard let frame else { return }
            require(input.readerIndex > before, "a frame was decoded from no bytes")
            var encoded = ByteBuffer()
            if (try? encoded.writeFrame(frame)) != nil {
                let again = try? FrameDecoder(frameMax: 0).decodeFrame(from: &encoded)
                require(again == frame, "\(frame) re-encoded decodes as \(String(describing: again))")
            }
            do {
                _ = try assembler.assemble(frame)
            } catch {
                return
            }
        }
    }

    /// A field table; decoded, encoded and decoded again it is the same table.
    static func fieldTable(_ bytes: UnsafeRawBufferPointer) {
        var input = buffer(bytes)
        guard let table = try? input.readFieldTable() else { return }
        _ = table.entries
        var encoded = ByteBuffer()
        guard (try? encoded.writeFieldTable(table)) != nil else { return }
        let again = try? encoded.readFieldTable()
        require(again?.entries.map(\.0) == table.entries.map(\.0), "table keys changed")
        // Compared encoded from the decoded entries: a NaN is not equal to itself.
        var first = ByteBuffer()
        var second = ByteBuffer()
        let firstEncodes = (try? first.writeFieldTable(FieldTable(table.entries))) != nil
        let secondEncodes = again.map { (try? second.writeFieldTable(FieldTable($0.entries))) != nil } ?? false
        require(firstEncodes == secondEncodes && (!firstEncodes || first == second), "table values changed")
        // Replacing a key (as a replay re-stamps a message) copies the raw entries: the same as
        // doing it on the decoded entries, compared encoded (a NaN is not equal to itself).
        let key = table.entries.first?.0 ?? "x-warren-replay-id"
        guard let replaced = try? table.replacing(key, with: .string("fuzz/1")) else { return }
        let expected = FieldTable(table.entries.filter { $0.0 != key } + [(key, .string("fuzz/1"))])
        var left = ByteBuffer()
        var right = ByteBuffer()
        // Both decoded first: the raw copy keeps a name's bytes as they came, invalid UTF-8 included,
        // where the decoded entries hold it with replacement characters (which can make a name
        // too long for a short string: then neither side encodes, and there is nothing to compare).
        let leftEncodes = (try? left.writeFieldTable(FieldTable(replaced.entries))) != nil
        let rightEncodes = (try? right.writeFieldTable(expected)) != nil
        require(leftEncodes == rightEncodes && (!leftEncodes || left == right),
                "replacing '\(key)' differs from doing it on the decoded entries")
    }

    /// A file recovery finds in a data directory, read as a message store segment, a queue index
    /// and a definitions file: every complete record kept, every decoded record the same encoded again.
    static func records(_ bytes: UnsafeRawBufferPointer) {
        if let failure = RecoveryReaders.check(buffer(bytes)) { require(false, failure) }
    }

    /// A content header's payload (class, weight, body size, flags and properties).
    static func contentHeader(_ bytes: UnsafeRawBufferPointer) {
        var input = buffer(bytes)
        guard let header = try? ContentHeader.decode(from: &input) else { return }
        var encoded = ByteBuffer()
        guard (try? header.encode(into: &encoded)) != nil else { return }
        let again = try? ContentHeader.decode(from: &encoded)
        require(again?.bodySize == header.bodySize, "body size changed")
        var first = ByteBuffer()
        var second = ByteBuffer()
        try? header.encode(into: &first)
        try? again?.encode(into: &second)
        require(first == second, "properties changed")
    }

    /// The monitor's JSON parser; what it parses, written out and parsed again, is the same.
    static func json(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSON.parse(Data(bytes)) else { return }
        guard let written = try? JSONEncoder().encode(value) else { return }
        let again = try? JSON.parse(written)
        require(again == value, "JSON changed on a round trip")
    }

    /// Management API responses a broken or hostile server could send, as the monitor decodes them.
    static func management(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSON.parse(Data(bytes)) else { return }
        let items = value.array ?? [value]
        for item in items {
            _ = QueueInfo(json: item)
            _ = ExchangeInfo(json: item)
            _ = BindingInfo(json: item)
            _ = NodeInfo(json: item)
            _ = VhostInfo(json: item)
            _ = ConsumerInfo(json: item)
            _ = ConnectionInfo(json: item)
            _ = Overview(json: item)
            _ = MessageView(index: 1, fetched: item)
        }
    }

    /// A line of an export file; parsed, written and parsed again it is the same message.
    static func export(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let message = try? ExportedMessage.parse(line: text, number: 1) else { return }
        guard let line = try? message.line() else { return }
        let again = try? ExportedMessage.parse(line: line, number: 1)
        var first = ByteBuffer()
        var second = ByteBuffer()
        // Compared encoded, when they encode: a header name over 255 bytes is valid JSON but no
        // AMQP short string (importing such a line fails at its publish, with the reason).
        let firstEncodes = (try? ContentHeader(bodySize: 0, properties: message.properties).encode(into: &first)) != nil
        var secondEncodes = false
        if let again {
            secondEncodes = (try? ContentHeader(bodySize: 0, properties: again.properties).encode(into: &second)) != nil
        }
        require(again?.body == message.body && again?.routingKey == message.routingKey
                    && firstEncodes == secondEncodes && (!firstEncodes || first == second),
                "export line changed on a round trip")
    }

    /// A filter expression; written back, it parses to the same filter.
    static func filter(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard case .success(let filters) = ReplayFilter.parseAll(text) else { return }
        let written = filters.map(\.description).joined(separator: " ")
        guard case .success(let again) = ReplayFilter.parseAll(written) else {
            return require(false, "'\(written)' does not parse")
        }
        require(again == filters, "'\(text)' → '\(written)' changed")
    }

    static func theme(_ bytes: UnsafeRawBufferPointer) {
        _ = Theme.parse(String(decoding: bytes, as: UTF8.self), name: "fuzz")
    }

    static func config(_ bytes: UnsafeRawBufferPointer) {
        _ = Config.parse(String(decoding: bytes, as: UTF8.self))
    }
}
