import NIOCore
import Testing

@testable import WarrenWire

@Suite("Generated methods: round trips")
struct MethodRoundTripTests {
    /// Every method name the generated code knows, found by scanning the id space.
    static let knownNames: [String] = {
        var names: [String] = []
        for classID in UInt16(0)..<200 {
            for methodID in UInt16(0)..<200 {
                if let name = AMQPMethod.name(classID: classID, methodID: methodID) { names.append(name) }
            }
        }
        return names
    }()

    @Test func samplesCoverEveryMethodExactlyOnce() {
        let sampleNames = MethodSamples.all.map(\.name)
        #expect(Self.knownNames.count >= 55, "the spec defines at least 55 methods")
        #expect(Self.knownNames.count == 66, "AMQP 0-9-1 with RabbitMQ's extensions has 66 methods")
        #expect(Set(Self.knownNames).count == Self.knownNames.count, "a name is used by two id pairs")
        #expect(sampleNames.count == Self.knownNames.count)
        #expect(Set(sampleNames) == Set(Self.knownNames))
        for name in Self.knownNames {
            #expect(sampleNames.filter { $0 == name }.count == 1, "\(name) must have exactly one sample")
        }
    }

    @Test(arguments: MethodSamples.all)
    func roundTripsAsAFullFrame(sample: MethodSample) throws {
        let decoder = FrameDecoder(frameMax: 1 << 20)
        for (index, values) in SampleValues.all.enumerated() {
            let method = sample.make(values)
            let channel: UInt16 = [0, 1, 0x1234, .max][index % 4]
            var buffer = ByteBuffer()
            try buffer.writeFrame(.method(channel: channel, method))
            let decoded = try decoder.decodeFrame(from: &buffer)
            #expect(decoded == .method(channel: channel, method), "\(values.label)")
            #expect(buffer.readableBytes == 0, "\(values.label)")
        }
    }

    @Test(arguments: MethodSamples.all)
    func decodedFieldsEqualTheOriginalFields(sample: MethodSample) throws {
        // Compare field by field too, so a failure says which field differs.
        let method = sample.make(.distinctAllSet)
        guard case .method(_, let decoded)? = try decodeOne(try encode(.method(channel: 1, method)).bytes) else {
            Issue.record("no method frame decoded")
            return
        }
        let original = Mirror(reflecting: method.arguments).children.map { ($0.label!, "\($0.value)") }
        let roundTripped = Mirror(reflecting: decoded.arguments).children.map { ($0.label!, "\($0.value)") }
        #expect(original.map(\.0) == roundTripped.map(\.0))
        for ((label, a), (_, b)) in zip(original, roundTripped) {
            #expect(a == b, "field \(label) of \(sample.name)")
        }
    }

    @Test(arguments: MethodSamples.all)
    func everyFieldHasANonDefaultValue(sample: MethodSample) {
        for values in [SampleValues.distinctAllSet, .maximalAllSet] {
            var bools = 0
            for child in Mirror(reflecting: sample.make(values).arguments).children {
                let label = "\(sample.name).\(child.label ?? "?") (\(values.label))"
                switch child.value {
                case let value as Bool:
                    bools += 1
                    #expect(value, "\(label) should be set")
                case let value as UInt8: #expect(value != 0, "\(label)")
                case let value as UInt16: #expect(value != 0, "\(label)")
                case let value as UInt32: #expect(value != 0, "\(label)")
                case let value as UInt64: #expect(value != 0, "\(label)")
                case let value as String:
                    #expect(value.utf8.count > value.count, "\(label) should contain non-ASCII UTF-8")
                    if values.maximal { #expect(value.utf8.count == 255, "\(label)") }
                case let value as FieldTable: #expect(!value.isEmpty, "\(label)")
                case let value as ByteBuffer: #expect(value.readableBytes > 0, "\(label)")
                default: Issue.record("\(label) has an unexpected type \(type(of: child.value))")
                }
            }
            #expect(bools == sample.bitCount, "\(sample.name) has \(bools) bit fields")
        }
    }

    @Test(arguments: MethodSamples.all)
    func bitFieldsArePackedInSpecOrderFromBitZero(sample: MethodSample) throws {
        guard sample.bitCount > 0 else { return }
        let none = try encodedPayload(sample.make(.noBits))
        for bit in 0..<sample.bitCount {
            let one = try encodedPayload(sample.make(.oneHot(bit)))
            #expect(one.count == none.count)
            let differences = zip(one, none).enumerated().filter { $0.element.0 != $0.element.1 }
            #expect(differences.count == 1, "bit \(bit) of \(sample.name) changes one octet")
            if let (_, (set, clear)) = differences.first {
                #expect(clear == 0)
                #expect(set == 1 << bit, "bit \(bit) of \(sample.name)")
            }
        }
        let all = try encodedPayload(sample.make(.distinctAllSet))
        let difference = zip(all, try encodedPayload(sample.make(.distinctAllSet.with(bits: []))))
            .filter { $0.0 != $0.1 }
        #expect(difference.map(\.0) == [UInt8((1 << sample.bitCount) - 1)])
    }

    @Test(arguments: MethodSamples.all)
    func staticAndEnumMetadataAgree(sample: MethodSample) throws {
        let method = sample.make(.distinctAllSet)
        let arguments = method.arguments
        let metatype = type(of: arguments)
        #expect(metatype.classID == method.classID)
        #expect(metatype.methodID == method.methodID)
        #expect(metatype.name == method.name)
        #expect(metatype.hasContent == method.hasContent)
        #expect(metatype.isSynchronous == method.isSynchronous)
        #expect(arguments.method == method)
        #expect(AMQPMethod.name(classID: method.classID, methodID: method.methodID) == method.name)
        #expect(method.hasContent == ["basic.publish", "basic.return", "basic.deliver", "basic.get-ok"].contains(method.name))
    }

    @Test(arguments: MethodSamples.all)
    func writeMethodFrameMatchesWriteFrame(sample: MethodSample) throws {
        let method = sample.make(.distinctAllSet)
        var viaGeneric = ByteBuffer()
        try viaGeneric.writeMethodFrame(channel: 42, method.arguments)
        #expect(viaGeneric == (try encode(.method(channel: 42, method))))
    }

    @Test(arguments: MethodSamples.all)
    func argumentsDecodeFromTheirOwnEncoding(sample: MethodSample) throws {
        let method = sample.make(.maximalAllSet)
        var arguments = ByteBuffer()
        try method.arguments.encode(into: &arguments)
        var payload = ByteBuffer(bytes: be(method.classID) + be(method.methodID))
        payload.writeImmutableBuffer(arguments)
        #expect(try AMQPMethod.decode(from: &payload) == method)
        #expect(payload.readableBytes == 0)
    }
}

extension SampleValues {
    func with(bits: [Bool]) -> SampleValues {
        var copy = self
        copy.bits = bits
        return copy
    }
}

