import NIOCore

/// The arguments of one AMQP method: a generated struct per method, such as ``BasicPublish``.
public protocol AMQPMethodArguments: Sendable, Hashable {
    static var classID: UInt16 { get }
    static var methodID: UInt16 { get }
    /// The dotted name, such as `basic.publish`.
    static var name: String { get }
    /// Whether the spec marks the method as a request that expects a reply.
    static var isSynchronous: Bool { get }
    /// Whether a content header and body follow the method.
    static var hasContent: Bool { get }

    /// Decodes the arguments (the method frame's payload after class and method ids).
    init(decoding buffer: inout ByteBuffer) throws(AMQPWireError)
    /// Encodes the arguments (without class and method ids).
    func encode(into buffer: inout ByteBuffer) throws(AMQPWireError)
    /// This method wrapped in the ``AMQPMethod`` enum.
    var method: AMQPMethod { get }
}
