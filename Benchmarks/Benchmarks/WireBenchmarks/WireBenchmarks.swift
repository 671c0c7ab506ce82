import Benchmark
import NIOCore
import WarrenWire

// Per-message cost of the WarrenWire codec: one "op" is one message, i.e. a method frame, a
// content header frame and one 64-byte body frame. Every benchmark runs 1,000 messages per
// iteration (scalingFactor .kilo), so the figures printed are per message.

// MARK: - Fixtures

enum Fixture {
    static let channel: UInt16 = 1
    static let frameMax = FrameConstants.defaultFrameMax

    static let body: ByteBuffer = {
        var buffer = ByteBuffer()
        buffer.writeBytes((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        return buffer
    }()

    /// What a typical client attaches to a persistent message.
    static let properties = BasicProperties(
        contentType: "application/octet-stream",
        headers: [
            "x-trace-id": "4bf92f3577b34da6",
            "x-retry-count": .int32(0),
            "source": "orders-service",
        ],
        deliveryMode: 2
    )

    static let publish = BasicPublish(exchange: "amq.direct", routingKey: "orders.created")

    static let deliver = BasicDeliver(
        consumerTag: "amq.ctag-Hs3Hb9cXq0Nqz2v_xY1u8A", deliveryTag: 42, redelivered: false,
        exchange: "amq.direct", routingKey: "orders.created")

    /// publish + header + body, encoded once.
    static let publishBytes: ByteBuffer = {
        var buffer = ByteBuffer()
        try! buffer.writePublish(channel: channel, publish, properties: properties, body: body, frameMax: frameMax)
        return buffer
    }()

    /// deliver + header + body, encoded once; the properties come off the wire, as a broker would forward them.
    static let deliverBytes: ByteBuffer = {
        var buffer = ByteBuffer()
        try! buffer.writeMethodFrame(channel: channel, deliver)
        try! buffer.writeContent(channel: channel, properties: properties, body: body, frameMax: frameMax)
        return buffer
    }()

    /// The properties as decoded off the wire (headers kept as raw bytes), as a broker forwards them.
    static let decodedProperties: BasicProperties = {
        var bytes = publishBytes
        let decoder = FrameDecoder(frameMax: frameMax)
        _ = try! decoder.decodeFrame(from: &bytes)
        guard case .header(_, let header) = try! decoder.decodeFrame(from: &bytes) else { fatalError("no header") }
        return header.properties
    }()
}

/// Checks once, outside the measurement, that a decode of `bytes` yields the expected command.
private func checkRoundTrip(_ bytes: ByteBuffer, expecting method: AMQPMethod) {
    var input = bytes
    let decoder = FrameDecoder(frameMax: Fixture.frameMax)
    var assembler = CommandAssembler()
    var command: Command?
    while let frame = try! decoder.decodeFrame(from: &input) {
        command = try! assembler.assemble(frame)
    }
    guard let command, command.method == method, command.body == Fixture.body,
        command.header?.properties.contentType == Fixture.properties.contentType,
        command.header?.properties.headers?["x-trace-id"] == Fixture.properties.headers?["x-trace-id"]
    else { fatalError("round trip of \(method.name) failed: \(String(describing: command))") }
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    checkRoundTrip(Fixture.publishBytes, expecting: .basicPublish(Fixture.publish))
    checkRoundTrip(Fixture.deliverBytes, expecting: .basicDeliver(Fixture.deliver))

    // 1. Client publish path.
    Benchmark("encode basic.publish + header + 64 B body") { benchmark in
        let publish = Fixture.publish
        let properties = Fixture.properties
        let body = Fixture.body
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4096)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            try! buffer.writePublish(
                channel: Fixture.channel, publish, properties: properties, body: body, frameMax: Fixture.frameMax)
            blackHole(buffer.writerIndex)
        }
        benchmark.stopMeasurement()
        blackHole(buffer)
    }

    // 2. Broker receive path: frames off the socket buffer, assembled into a command.
    Benchmark("decode basic.publish + header + 64 B body") { benchmark in
        let bytes = Fixture.publishBytes
        let decoder = FrameDecoder(frameMax: Fixture.frameMax)
        var assembler = CommandAssembler()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var input = bytes
            let method = try! decoder.decodeFrame(from: &input)!
            let header = try! decoder.decodeFrame(from: &input)!
            let body = try! decoder.decodeFrame(from: &input)!
            // `assemble` consumes its frame; `consume` hands it over without a copy.
            precondition(try! assembler.assemble(consume method) == nil)
            precondition(try! assembler.assemble(consume header) == nil)
            blackHole(try! assembler.assemble(consume body)!)
        }
        benchmark.stopMeasurement()
    }

    // 3a. Frame decoding alone, no assembler.
    Benchmark("decode basic.publish + header + 64 B body, frames only") { benchmark in
        let bytes = Fixture.publishBytes
        let decoder = FrameDecoder(frameMax: Fixture.frameMax)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var input = bytes
            blackHole(try! decoder.decodeFrame(from: &input)!)
            blackHole(try! decoder.decodeFrame(from: &input)!)
            blackHole(try! decoder.decodeFrame(from: &input)!)
        }
        benchmark.stopMeasurement()
    }

    // 3b. Broker deliver path: the properties are forwarded as decoded (headers stay raw bytes).
    Benchmark("encode basic.deliver + header + 64 B body") { benchmark in
        var deliver = Fixture.deliver
        let properties = Fixture.decodedProperties
        let body = Fixture.body
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4096)
        benchmark.startMeasurement()
        for tag in benchmark.scaledIterations {
            deliver.deliveryTag = UInt64(tag)
            buffer.clear()
            try! buffer.writeMethodFrame(channel: Fixture.channel, deliver)
            try! buffer.writeContent(
                channel: Fixture.channel, properties: properties, body: body, frameMax: Fixture.frameMax)
            blackHole(buffer.writerIndex)
        }
        benchmark.stopMeasurement()
        blackHole(buffer)
    }

    // 3c. Client consume path.
    Benchmark("decode basic.deliver + header + 64 B body") { benchmark in
        let bytes = Fixture.deliverBytes
        let decoder = FrameDecoder(frameMax: Fixture.frameMax)
        var assembler = CommandAssembler()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var input = bytes
            let method = try! decoder.decodeFrame(from: &input)!
            let header = try! decoder.decodeFrame(from: &input)!
            let body = try! decoder.decodeFrame(from: &input)!
            // `assemble` consumes its frame; `consume` hands it over without a copy.
            precondition(try! assembler.assemble(consume method) == nil)
            precondition(try! assembler.assemble(consume header) == nil)
            blackHole(try! assembler.assemble(consume body)!)
        }
        benchmark.stopMeasurement()
    }
}
