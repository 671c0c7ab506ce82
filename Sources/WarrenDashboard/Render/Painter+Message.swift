import Foundation
import WarrenMonitor

extension Painter {
    mutating func messageView(_ id: QueueID, index: Int, in body: Rect) {
        let messages = state.visibleMessages(id)
        guard messages.indices.contains(index) else {
            grid.box(body, title: "Message", style: theme.style(.title), titleStyle: theme.heading)
            grid.put("the message is no longer in the peek list", x: body.x + 2, y: body.y + 1, style: theme.dim)
            return
        }
        let message = messages[index]
        grid.box(body, title: "Message \(message.index) of \(id)", style: theme.style(.title), titleStyle: theme.heading)
        let inner = body.inset(1)
        let (meta, bodyRect) = inner.splitTop(min(inner.height / 2, 14))
        let (left, right) = meta.splitLeft(meta.width / 2)
        var row = left.y
        section("Properties", in: left, row: &row)
        var items: [(String, String)] = [("exchange", message.exchange.isEmpty ? "(default)" : message.exchange),
                                         ("routing key", message.routingKey), ("redelivered", message.redelivered ? "yes" : "no")]
        items += message.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value.text) }
        pairs(items, in: left, from: &row, labelWidth: 16)
        row = right.y
        section("Headers", in: right, row: &row)
        let headers = (message.headers?.object ?? [:]).filter { $0.key != "x-death" }.sorted { $0.key < $1.key }
        pairs(headers.isEmpty ? [("none", "")] : headers.map { ($0.key, $0.value.text) }, in: right, from: &row,
              labelWidth: 20)
        section("x-death", in: right, row: &row)
        if message.deadLetter.deaths.isEmpty {
            pairs([("none", "")], in: right, from: &row)
        } else if row < right.maxY {
            let header = "\(Self.fit("queue", width: 16)) \(Self.fit("reason", width: 10)) \(Self.fit("count", width: 5, right: true)) \(Self.fit("exchange", width: 12)) keys"
            grid.put(header, x: right.x, y: row, style: theme.dim, maxWidth: right.width)
            row += 1
            for death in message.deadLetter.deaths where row < right.maxY {
                let line = "\(Self.fit(death.queue, width: 16)) \(Self.fit(death.reason, width: 10)) "
                    + "\(Self.fit(String(death.count), width: 5, right: true)) "
                    + "\(Self.fit(death.exchange.isEmpty ? "(default)" : death.exchange, width: 12)) "
                    + death.routingKeys.joined(separator: ",")
                grid.put(line, x: right.x, y: row, style: theme.style(.deadLetter), maxWidth: right.width)
                row += 1
            }
        }
        messageBody(message, in: bodyRect)
    }

    mutating func messageBody(_ message: MessageView, in rect: Rect) {
        guard rect.height >= 2 else { return }
        grid.put(String(repeating: "─", count: rect.width), x: rect.x, y: rect.y, style: theme.border)
        var x = rect.x + 1
        x += grid.put(" Body \(Format.bytes(message.bodyBytes))\(message.bodyTruncated ? " (cut)" : "")  ", x: x,
                      y: rect.y, style: theme.heading)
        for mode in BodyMode.allCases {
            let style = mode == state.bodyMode ? theme.selected : theme.dim
            x += grid.put(" \(mode.rawValue) ", x: x, y: rect.y, style: style)
        }
        grid.put(" (b) ", x: x, y: rect.y, style: theme.dim)
        let lines = Self.bodyLines(message, mode: state.bodyMode)
        let visible = rect.height - 1
        let scroll = min(state.messageScroll, max(0, lines.count - visible))
        for (offset, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
            grid.put(line, x: rect.x, y: rect.y + 1 + offset, style: theme.base, maxWidth: rect.width)
        }
    }

    /// The body in the chosen form. JSON bodies arrive pretty-printed and text as it was; hex is
    /// the UTF-8 of that text, or the dump the monitor made for binary bodies.
    static func bodyLines(_ message: MessageView, mode: BodyMode) -> [String] {
        let text: String
        switch (mode, message.bodyEncoding) {
        case (.hex, .hex), (.text, .hex), (.json, .hex):
            text = (mode == .hex ? "" : "(binary body: shown as hex)\n") + message.body
        case (.hex, _):
            text = Self.hexDump(Array(message.body.utf8))
        case (.json, .json), (.text, .json):
            text = mode == .json ? message.body : Self.compactJSON(message.body)
        case (.json, .text):
            text = "(not JSON)\n" + message.body
        case (.text, .text):
            text = message.body
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func compactJSON(_ pretty: String) -> String {
        guard let value = try? JSONSerialization.jsonObject(with: Data(pretty.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return pretty }
        return String(decoding: data, as: UTF8.self)
    }

    static func hexDump(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { offset in
            let line = bytes[offset..<min(offset + 16, bytes.count)]
            let hex = line.map { String(format: "%02x", $0) }.joined(separator: " ")
            let ascii = String(line.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
            return String(format: "%08x  ", offset) + hex.padding(to: 48) + " " + ascii
        }.joined(separator: "\n")
    }
}
