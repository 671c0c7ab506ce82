import Foundation
import NIOCore
import WarrenBroker
import WarrenWire

// PUT, DELETE and POST endpoints, with RabbitMQ's body shapes and status codes.
extension ManagementAPI {
    func put(_ request: APIRequest) async throws(RequestError) -> APIResponse {
        let path = request.path
        let body = try request.json()
        guard case .object = body else { throw .badRequest("the body must be a JSON object") }
        switch (path.first, path.count) {
        case ("queues", 3):
            let (vhost, name) = (path[1], path[2])
            let arguments = try Self.arguments(body)
            let durable = try Self.flag(body, "durable", default: true)
            let autoDelete = try Self.flag(body, "auto_delete", default: false)
            let created = try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.declareQueue(vhost: vhost, queue: name, durable: durable, autoDelete: autoDelete,
                                     arguments: arguments)
            }
            return created ? .created : .noContent
        case ("exchanges", 3):
            let (vhost, name) = (path[1], Self.exchangeName(path[2]))
            guard let type = body["type"]?.stringValue else { throw .badRequest("[{error,{key_missing,type}}]") }
            let arguments = try Self.arguments(body)
            let durable = try Self.flag(body, "durable", default: true)
            let autoDelete = try Self.flag(body, "auto_delete", default: false)
            let isInternal = try Self.flag(body, "internal", default: false)
            let created = try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.declareExchange(vhost: vhost, exchange: name, type: type, durable: durable,
                                        autoDelete: autoDelete, isInternal: isInternal, arguments: arguments)
            }
            return created ? .created : .noContent
        case ("vhosts", 2):
            let (name, user) = (path[1], request.user.name)
            return try await operate { ops in ops.addVirtualHost(name, grantTo: user) } ? .created : .noContent
        case ("users", 2):
            let user = try Self.user(path[1], body)
            return try await operate { ops in ops.putUser(user) } ? .created : .noContent
        case ("policies", 3), ("operator-policies", 3):
            return try await putPolicy(path[1], path[2], body, operator: path[0] == "operator-policies")
        case ("permissions", 3), ("topic-permissions", 3):
            return try await putPermission(path[1], path[2], body, topic: path[0] == "topic-permissions")
        default:
            throw .methodNotAllowed
        }
    }

    func delete(_ request: APIRequest) async throws(RequestError) -> APIResponse {
        let path = request.path
        let ifEmpty = request.query["if-empty"] == "true"
        let ifUnused = request.query["if-unused"] == "true"
        switch (path.first, path.count) {
        case ("queues", 3):
            let (vhost, name) = (path[1], path[2])
            try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.deleteQueue(vhost: vhost, queue: name, ifEmpty: ifEmpty, ifUnused: ifUnused)
            }
        case ("queues", 4) where path[3] == "contents":
            let (vhost, name) = (path[1], path[2])
            _ = try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.purge(vhost: vhost, queue: name)
            }
        case ("exchanges", 3):
            let (vhost, name) = (path[1], Self.exchangeName(path[2]))
            try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.deleteExchange(vhost: vhost, exchange: name, ifUnused: ifUnused)
            }
        case ("bindings", 7) where path[2] == "e" && (path[4] == "q" || path[4] == "e"):
            let snapshot = try await snapshot(.bindings, vhost: path[1])
            let source = Self.exchangeName(path[3])
            guard let binding = snapshot.bindings.first(where: {
                $0.source == source && $0.destination == path[5] && $0.destinationIsQueue == (path[4] == "q")
                    && ObjectJSON.propertiesKey($0) == path[6]
            }) else { throw .notFound }
            try await unbind(binding, as: request.user.name)
        case ("vhosts", 2):
            let name = path[1]
            try await operate { ops throws(ManagementError) in try ops.deleteVirtualHost(name) }
        case ("users", 2):
            let name = path[1]
            try await operate { ops throws(ManagementError) in try ops.deleteUser(name) }
        case ("policies", 3), ("operator-policies", 3):
            try await deletePolicy(path[1], path[2], operator: path[0] == "operator-policies")
        case ("permissions", 3), ("topic-permissions", 3):
            try await deletePermission(path[1], path[2], topic: path[0] == "topic-permissions",
                                       exchange: request.query["exchange"])
        default:
            throw .methodNotAllowed
        }
        return .noContent
    }

    private func unbind(_ b: BindingSnapshot, as user: String) async throws(RequestError) {
        try await operate(as: user) { ops throws(ManagementError) in
            try ops.unbind(vhost: b.vhost, source: b.source, destination: b.destination, toQueue: b.destinationIsQueue,
                           routingKey: b.routingKey, arguments: b.arguments)
        }
    }

    func post(_ request: APIRequest) async throws(RequestError) -> APIResponse {
        let path = request.path
        let body = try request.json()
        guard case .object = body else { throw .badRequest("the body must be a JSON object") }
        switch (path.first, path.count) {
        case ("bindings", 6) where path[2] == "e" && (path[4] == "q" || path[4] == "e"):
            let (vhost, source, destination, toQueue) = (path[1], Self.exchangeName(path[3]), path[5], path[4] == "q")
            let routingKey = body["routing_key"]?.stringValue ?? ""
            let arguments = try Self.arguments(body)
            try await operate(as: request.user.name) { ops throws(ManagementError) in
                try ops.bind(vhost: vhost, source: source, destination: destination, toQueue: toQueue,
                             routingKey: routingKey, arguments: arguments)
            }
            return .created
        case ("queues", 4) where path[3] == "get":
            return .ok(try await fetch(vhost: path[1], queue: path[2], body, as: request.user.name))
        case ("exchanges", 4) where path[3] == "publish":
            return .ok(try await publish(vhost: path[1], exchange: Self.exchangeName(path[2]), body,
                                         as: request.user.name))
        case ("definitions", 1):
            try await Definitions.import(body, into: self)
            return .noContent
        default:
            throw .methodNotAllowed
        }
    }

    // MARK: Messages

    private func fetch(vhost: String, queue: String, _ body: JSON, as user: String) async throws(RequestError)
        -> JSON
    {
        guard let count = body["count"]?.intValue, count >= 0 else { throw .badRequest("count must be an integer") }
        let mode: FetchMode
        switch body["ackmode"]?.stringValue {
        case "ack_requeue_true", "reject_requeue_true": mode = .requeue
        case "ack_requeue_false": mode = .ack
        case "reject_requeue_false": mode = .reject
        case "peek": mode = .peek
        default:
            throw .badRequest("ackmode must be ack_requeue_true, ack_requeue_false, reject_requeue_true, "
                + "reject_requeue_false or peek")
        }
        let encoding = body["encoding"]?.stringValue ?? "auto"
        guard encoding == "auto" || encoding == "base64" else { throw .badRequest("encoding must be auto or base64") }
        let truncate = body["truncate"]?.intValue.map { Int(max(0, $0)) }
        let messages = try await operate(as: user) { ops throws(ManagementError) in
            try ops.fetch(vhost: vhost, queue: queue, count: Int(count), mode: mode)
        }
        return Self.render(messages, base64: encoding == "base64", truncate: truncate)
    }

    /// Messages in the get endpoint's shape: the payload as a string when it is UTF-8 (and
    /// `auto` encoding was asked for), else base64; `payload_bytes` is the size before truncation.
    static func render(_ messages: [FetchedMessage], base64: Bool, truncate: Int?) -> JSON {
        .array(messages.map { message in
            var bytes = Array(message.body.readableBytesView)
            let size = bytes.count
            if let truncate, bytes.count > truncate { bytes = Array(bytes.prefix(truncate)) }
            let text = base64 ? nil : String(validating: bytes, as: UTF8.self)
            return .object([
                ("payload_bytes", .int(size)), ("redelivered", .bool(message.redelivered)),
                ("exchange", .string(message.exchange)), ("routing_key", .string(message.routingKey)),
                ("message_count", .int(message.messageCount)), ("properties", JSON(message.properties)),
                ("payload", .string(text ?? Data(bytes).base64EncodedString())),
                ("payload_encoding", .string(text == nil ? "base64" : "string")),
            ])
        })
    }

    private func publish(vhost: String, exchange: String, _ body: JSON, as user: String) async throws(RequestError)
        -> JSON
    {
        guard let routingKey = body["routing_key"]?.stringValue else {
            throw .badRequest("[{error,{key_missing,routing_key}}]")
        }
        guard let payload = body["payload"]?.stringValue else { throw .badRequest("[{error,{key_missing,payload}}]") }
        let encoding = body["payload_encoding"]?.stringValue ?? "string"
        var buffer = ByteBuffer()
        switch encoding {
        case "string": buffer.writeString(payload)
        case "base64":
            guard let data = Data(base64Encoded: payload) else { throw .badRequest("payload is not valid base64") }
            buffer.writeBytes(data)
        default: throw .badRequest("payload_encoding must be string or base64")
        }
        let properties = try (body["properties"] ?? .object([])).basicProperties()
        let body = buffer
        let routed = try await operate(as: user) { ops throws(ManagementError) in
            try ops.publish(vhost: vhost, exchange: exchange, routingKey: routingKey, properties: properties, body: body)
        }
        return .object([("routed", .bool(routed))])
    }

    // MARK: Body fields

    static func arguments(_ body: JSON) throws(RequestError) -> FieldTable {
        guard let value = body["arguments"] else { return FieldTable() }
        if case .array(let items) = value, items.isEmpty { return FieldTable() }
        guard let table = value.fieldTable else { throw .badRequest("arguments must be an object") }
        return table
    }

    static func flag(_ body: JSON, _ key: String, default value: Bool) throws(RequestError) -> Bool {
        guard let field = body[key] else { return value }
        guard let flag = field.boolValue else { throw .badRequest("\(key) must be true or false") }
        return flag
    }

    /// A user from `PUT /api/users/NAME`: a `password`, or a `password_hash` as RabbitMQ makes
    /// them (`rabbit_password_hashing_sha256`; "" for a user who cannot log in with a password).
    static func user(_ name: String, _ body: JSON) throws(RequestError) -> BrokerConfiguration.User {
        let passwordHash: PasswordHash
        if let password = body["password"]?.stringValue {
            passwordHash = PasswordHash(password: password)
        } else if let text = body["password_hash"]?.stringValue {
            if let algorithm = body["hashing_algorithm"]?.stringValue, algorithm != PasswordHash.algorithm {
                throw .badRequest("unsupported hashing_algorithm \(algorithm): Warren takes \(PasswordHash.algorithm)")
            }
            guard let hash = PasswordHash(base64: text) else {
                throw .badRequest("password_hash must be base64 of a 4-byte salt and a SHA-256 digest")
            }
            passwordHash = hash
        } else {
            throw .badRequest("a password or a password_hash is required")
        }
        var tags: [String] = []
        switch body["tags"] {
        case .string(let text)?: tags = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        case .array(let items)?: tags = items.compactMap(\.stringValue)
        default: break
        }
        return BrokerConfiguration.User(name: name, passwordHash: passwordHash, tags: tags.filter { !$0.isEmpty })
    }
}
