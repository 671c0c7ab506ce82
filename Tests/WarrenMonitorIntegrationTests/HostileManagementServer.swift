import Foundation

/// A management API that misbehaves on purpose, on a loopback port: each request gets the fault
/// its mode names. It runs on a thread of its own with blocking sockets (never on the Swift
/// concurrency pool), one connection at a time.
final class HostileManagementServer: @unchecked Sendable {
    enum Mode: String, CaseIterable, Sendable {
        /// A valid start of /api/queues, cut in the middle of a string.
        case truncated
        /// A body declared at 1 GiB (more than Warren reads), then a JSON array that never ends.
        case huge
        /// Right shape, wrong types: numbers where names go, strings where counts go.
        case wrongTypes
        /// Headers, then nothing for a minute.
        case slow
        /// 500 with an HTML body, as a proxy in front of a broken node sends.
        case serverError
        /// The connection closed as soon as the request arrives.
        case reset
        /// Bytes that are not HTTP at all.
        case garbage
    }

    let mode: Mode
    let port: Int
    private let listener: Int32
    private let stopped = NSLock()
    private var isStopped = false

    init(_ mode: Mode) throws {
        self.mode = mode
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var url: String { "http://guest:guest@127.0.0.1:\(port)/" }

    func stop() {
        stopped.lock()
        isStopped = true
        stopped.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private var running: Bool {
        stopped.lock()
        defer { stopped.unlock() }
        return !isStopped
    }

    private func serve() {
        while running {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var noSignal: Int32 = 1
            setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
            readRequest(client)
            respond(client)
            close(client)
        }
    }

    private func readRequest(_ client: Int32) {
        var received = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) && received.count < 1 << 16 {
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            received += chunk.prefix(count)
        }
    }

    private func send(_ client: Int32, _ text: String) { send(client, Array(text.utf8)) }

    /// False once the peer has gone.
    @discardableResult
    private func send(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private func respond(_ client: Int32) {
        func head(_ status: String, length: Int?, type: String = "application/json") -> String {
            "HTTP/1.1 \(status)\r\ncontent-type: \(type)\r\n" + (length.map { "content-length: \($0)\r\n" } ?? "")
                + "connection: close\r\n\r\n"
        }
        switch mode {
        case .truncated:
            let body = #"[{"name":"orders","vhost":"/","messages":12,"consumers":1},{"name":"payme"#
            send(client, head("200 OK", length: body.utf8.count + 40) + body)
        case .huge:
            // Refused on the header: reading 16 MiB of JSON first kept a core busy for half a
            // minute in a debug build, and starved the suites beside this one.
            send(client, head("200 OK", length: 1 << 30) + "[")
            let row = Array(#"{"name":"q","vhost":"/","messages":1},"#.utf8)
            var block = [UInt8]()
            while block.count < 1 << 16 { block += row }
            for _ in 0..<256 where running {
                guard send(client, block) else { return }
            }
        case .wrongTypes:
            let body = #"[{"name":42,"vhost":["/"],"messages":"many","consumers":{"n":1},"arguments":"none"},"#
                + #"{"name":"ok","vhost":"/","messages":-5,"message_stats":[1,2,3],"backing_queue_status":7}]"#
            send(client, head("200 OK", length: body.utf8.count) + body)
        case .slow:
            send(client, head("200 OK", length: 1000))
            for _ in 0..<600 where running {
                usleep(100_000)
            }
        case .serverError:
            let body = "<html><body><h1>500 Internal Server Error</h1></body></html>"
            send(client, head("500 Internal Server Error", length: body.utf8.count, type: "text/html") + body)
        case .reset:
            var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
        case .garbage:
            send(client, (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
        }
    }
}
