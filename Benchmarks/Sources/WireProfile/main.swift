import NIOCore
import WarrenWire

// The WireBenchmarks workloads as plain loops, for a profiler:
//   swift build -c release --product WireProfile
//   valgrind --tool=callgrind .build/release/WireProfile decode-publish 100000
// Modes: encode-publish, decode-publish, decode-frames, encode-deliver, decode-deliver.

let channel: UInt16 = 1
let frameMax = FrameConstants.defaultFrameMax

var body = ByteBuffer()
body.writeBytes((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })

let properties = BasicProperties(
    contentType: "application/octet-stream",
    headers: [
        "x-trace-id": "4bf92f3577b34da6",
        "x-retry-count": .int32(0),
        "source": "orders-service",
    ],
    deliveryMode: 2
)
let publish = BasicPublish(exchange: "amq.direct", routingKey: "orders.created")
var deliver = BasicDeliver(
    consumerTag: "amq.ctag-Hs3Hb9cXq0Nqz2v_xY1u8A", deliveryTag: 42, redelivered: false,
    exchange: "amq.direct", routingKey: "orders.created")

var publishBytes = ByteBuffer()
try! publishBytes.writePublish(channel: channel, publish, properties: properties, body: body, frameMax: frameMax)
var deliverBytes = ByteBuffer()
try! deliverBytes.writeMethodFrame(channel: channel, deliver)
try! deliverBytes.writeContent(channel: channel, properties: properties, body: body, frameMax: frameMax)

@inline(never)
func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "decode-publish"
let count = arguments.count > 2 ? Int(arguments[2])! : 1_000_000

// The loops live in a function so that their state is local, as in the benchmarks (top-level
// variables are globals, and every access to a global var is checked for exclusivity at run time).
@MainActor @inline(never)
func run(_ mode: String, _ count: Int) {
    let decoder = FrameDecoder(frameMax: frameMax)
    var assembler = CommandAssembler()
    var buffer = ByteBuffer()
    buffer.reserveCapacity(4096)
    let publish = publish
    let properties = properties
    let body = body
    var deliver = deliver
    switch mode {
    case "encode-publish":
        for _ in 0..<count {
            buffer.clear()
            try! buffer.writePublish(channel: channel, publish, properties: properties, body: body, frameMax: frameMax)
            consume(buffer.writerIndex)
        }
    case "encode-deliver":
        for tag in 0..<count {
            deliver.deliveryTag = UInt64(tag)
            buffer.clear()
            try! buffer.writeMethodFrame(channel: channel, deliver)
            try! buffer.writeContent(channel: channel, properties: properties, body: body, frameMax: frameMax)
            consume(buffer.writerIndex)
        }
    case "decode-frames":
        let bytes = publishBytes
        for _ in 0..<count {
            var input = bytes
            consume(try! decoder.decodeFrame(from: &input)!)
            consume(try! decoder.decodeFrame(from: &input)!)
            consume(try! decoder.decodeFrame(from: &input)!)
        }
    case "decode-publish", "decode-deliver":
        let bytes = mode == "decode-publish" ? publishBytes : deliverBytes
        for _ in 0..<count {
            var input = bytes
            while let frame = try! decoder.decodeFrame(from: &input) {
                if let command = try! assembler.assemble(consume frame) { consume(command) }
            }
        }
    case "sizes":
        print(
            "AMQPMethod", MemoryLayout<AMQPMethod>.size, "Frame", MemoryLayout<Frame>.size,
            "ContentHeader", MemoryLayout<ContentHeader>.size, "BasicProperties", MemoryLayout<BasicProperties>.size,
            "Command", MemoryLayout<Command>.size, "FieldTable", MemoryLayout<FieldTable>.size)
    default:
        fatalError("unknown mode \(mode)")
    }
}

let start = ContinuousClock.now
run(mode, count)
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("\(mode): \(count) messages in \(elapsed), \(Int(Double(count) / seconds)) messages/s")
