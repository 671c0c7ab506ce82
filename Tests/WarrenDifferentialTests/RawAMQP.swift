#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import WarrenClient

/// A bare AMQP 0-9-1 connection over a blocking socket, for what the client API hides: the order
/// of frames on the wire (a basic.return before its basic.ack) and flags the client cannot send
/// (basic.publish immediate=true). One channel (1) is opened by `connect`.
final class RawAMQP {
    private let fd: Int32
    private var inbound = ByteBuffer()
    private let decoder = FrameDecoder()
    private var assembler = CommandAssembler()
    private(set) var closed = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Connects as guest/guest to the URL's host and port, opens the connection and channel 1.
    /// `frameMax` is sent in tune-ok (the server's value when nil).
    static func connect(_ url: String, frameMax: UInt32? = nil) throws -> RawAMQP {
        guard let parsed = URL(string: url), let port = parsed.port else { throw Failure(description: "bad url \(url)") }
        let host = parsed.host == "localhost" ? "127.0.0.1" : (parsed.host ?? "127.0.0.1")
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        let raw = RawAMQP(fd: fd)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw Failure(description: "connect() to \(host):\(port) failed") }

        var header = ByteBuffer()
        header.writeBytes(ProtocolHeader.bytes)
        try raw.write(header)
        guard case .connectionStart? = try raw.next()?.method else { throw Failure(description: "no connection.start") }
        var response = ByteBuffer()
        response.writeBytes([0] + Array("guest".utf8) + [0] + Array("guest".utf8))
        try raw.send(ConnectionStartOk(clientProperties: [:], response: response), channel: 0)
        guard case .connectionTune(let tune)? = try raw.next()?.method else { throw Failure(description: "no tune") }
        try raw.send(ConnectionTuneOk(channelMax: tune.channelMax, frameMax: frameMax ?? tune.frameMax,
                                               heartbeat: 0), channel: 0)
        try raw.send(ConnectionOpen(virtualHost: "/"), channel: 0)
        guard case .connectionOpenOk? = try raw.next()?.method else { throw Failure(description: "no open-ok") }
        try raw.send(ChannelOpen(), channel: 1)
        guard case .channelOpenOk? = try raw.next()?.method else { throw Failure(description: "no channel.open-ok") }
        return raw
    }

    private func write(_ buffer: ByteBuffer) throws {
        let bytes = Array(buffer.readableBytesView)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send() failed") }
            offset += n
        }
    }

    func send<Method: AMQPMethodArguments>(_ method: Method, channel: UInt16 = 1) throws {
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(channel: channel, method)
        try write(buffer)
    }

    /// One frame exactly as given: type, channel, the payload's size, the payload, frame end.
    func sendFrame(type: UInt8, channel: UInt16 = 1, payload: [UInt8]) throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        buffer.writeInteger(FrameConstants.end)
        try write(buffer)
    }

    func publish(_ body: String, exchange: String = "", routingKey: String, mandatory: Bool = false,
                 immediate: Bool = false, properties: BasicProperties = BasicProperties()) throws {
        var buffer = ByteBuffer()
        try buffer.writePublish(
            channel: 1,
            BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: immediate),
            properties: properties, body: ByteBuffer(string: body), frameMax: 131_072)
        try write(buffer)
    }

    /// The next command from the broker, or nil when the socket closed or 5 s passed in silence.
    func next() throws -> Command? {
        while true {
            while let frame = try decoder.decodeFrame(from: &inbound) {
                if let command = try assembler.assemble(frame) { return command }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                closed = true
                return nil
            }
            inbound.writeBytes(chunk[0..<n])
        }
    }

    /// Commands until (and including) the first one `stop` accepts; a transcript line for each.
    func read(until stop: (AMQPMethod) -> Bool) throws -> [String] {
        var lines: [String] = []
        while let command = try next() {
            lines.append(Self.describe(command))
            if stop(command.method) { return lines }
            if case .connectionClose = command.method {
                try? send(ConnectionCloseOk(), channel: 0)
                return lines
            }
        }
        lines.append("socket closed")
        return lines
    }

    func closeConnection() throws -> [String] {
        try send(ConnectionClose(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0), channel: 0)
        return try read { if case .connectionCloseOk = $0 { true } else { false } }
    }

    static func describe(_ command: Command) -> String {
        switch command.method {
        case .basicReturn(let r):
            return "basic.return \(r.replyCode) \(r.replyText) exchange=\(r.exchange) key=\(r.routingKey) "
                + "body=\(String(buffer: command.body))"
        case .basicAck(let a): return "basic.ack \(a.deliveryTag) multiple=\(a.multiple)"
        case .basicNack(let n): return "basic.nack \(n.deliveryTag) multiple=\(n.multiple)"
        case .basicDeliver(let d):
            return "basic.deliver \(d.deliveryTag) exchange=\(d.exchange) key=\(d.routingKey) body=\(String(buffer: command.body))"
        case .channelClose(let c):
            return "channel.close \(c.replyCode) \(c.replyText) [\(AMQPMethod.name(classID: c.classID, methodID: c.methodID) ?? "?")]"
        case .connectionClose(let c):
            return "connection.close \(c.replyCode) \(c.replyText) [\(AMQPMethod.name(classID: c.classID, methodID: c.methodID) ?? "?")]"
        default:
            return command.method.name
        }
    }
}
