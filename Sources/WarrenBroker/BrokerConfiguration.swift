import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the embedded broker listens and whom it lets in.
public struct BrokerConfiguration: Sendable {
    public struct User: Sendable, Hashable {
        public var name: String
        /// The password as RabbitMQ keeps it (``PasswordHash``); the password itself is not kept.
        public var passwordHash: PasswordHash
        /// Like RabbitMQ's `loopback_users`: may only connect from 127.0.0.0/8 or ::1.
        public var loopbackOnly: Bool
        /// Tags as RabbitMQ shows them (`administrator`, `management`, ...).
        public var tags: [String]

        public init(name: String, password: String, loopbackOnly: Bool = false, tags: [String] = ["administrator"]) {
            self.init(name: name, passwordHash: PasswordHash(password: password), loopbackOnly: loopbackOnly, tags: tags)
        }

        public init(name: String, passwordHash: PasswordHash, loopbackOnly: Bool = false,
                    tags: [String] = ["administrator"]) {
            self.name = name
            self.passwordHash = passwordHash
            self.loopbackOnly = loopbackOnly
            self.tags = tags
        }

        public func hasPassword(_ password: String) -> Bool { passwordHash.matches(password) }

        /// RabbitMQ's `is_admin`.
        public var isAdministrator: Bool { tags.contains(UserTag.administrator) }
        /// RabbitMQ's `is_monitor`: monitoring or administrator.
        public var isMonitor: Bool { isAdministrator || tags.contains(UserTag.monitoring) }
        /// RabbitMQ's `is_policymaker`: policymaker or administrator.
        public var isPolicymaker: Bool { isAdministrator || tags.contains(UserTag.policymaker) }
        /// Whether the user may log in to the management API at all.
        public var isManagementUser: Bool { tags.contains(where: UserTag.managementTags.contains) }
    }

    public var host: String
    /// 0 picks a free port; ``Broker/amqpPort`` tells which.
    public var amqpPort: Int
    public var users: [User]
    /// Who may do what in which vhost. nil (the default) gives every user in `users` full
    /// permissions on every vhost in `virtualHosts`, as the broker behaved before it had
    /// permissions; the broker resolves it when it starts. Users added later (the management API)
    /// get none until they are granted some, as in RabbitMQ.
    public var permissions: [Permission]?
    /// Topic permissions; a user with none for an exchange may use every routing key on it.
    public var topicPermissions: [TopicPermission] = []
    /// Users in `users` that are RabbitMQ's `default_user`: created in a fresh data directory
    /// only. Once the directory has definitions they are as the definitions say, so deleting
    /// guest or changing its password lasts. Other users in `users` are set at every start.
    public var defaultUserNames: Set<String> = []
    public var virtualHosts: [String]
    public var frameMax: UInt32
    public var channelMax: UInt16
    /// Seconds proposed in `connection.tune`.
    public var heartbeat: UInt16
    /// RabbitMQ's `max_message_size`: 128 MiB.
    /// Values above 512 MiB (RabbitMQ's limit for max_message_size) act as 512 MiB.
    public var maximumMessageSize: UInt64
    /// Shown to clients in `server-properties` and by the management API.
    public var clusterName: String
    /// Message bytes (ready and unacked, over all queues) above which publishing connections are
    /// blocked until consumers bring it back down. Defaults to 40% of physical memory, like
    /// RabbitMQ's `vm_memory_high_watermark`.
    public var memoryLimit: Int
    /// Free space on the data directory's file system (the paging directory's without one) below
    /// which publishing connections are blocked: RabbitMQ's `disk_free_limit`, 50 MB by default.
    public var diskFreeLimit: Int = 50_000_000
    /// A client that has not opened its connection (header, login, tune, open) by then is
    /// disconnected: RabbitMQ's `handshake_timeout`, 10 s.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Where durable definitions and persistent messages are kept; nil keeps everything in
    /// memory only, and nothing survives a restart.
    public var dataDirectory: String?
    /// Size at which the message store starts a new segment file (RabbitMQ's is 16 MiB).
    public var segmentSize: Int = 16 * 1024 * 1024
    /// A second AMQP listener that speaks TLS (RabbitMQ's `listeners.ssl`, port 5671), beside the
    /// plain one; nil for none.
    public var tls: TLSListener?
    /// Seconds a client whose login was refused waits before its socket is closed: RabbitMQ's
    /// reader sleeps 3 s (`SILENT_CLOSE_DELAY`) after any handshake error, so that a client cannot
    /// try passwords faster than that on one connection.
    public var authenticationFailureDelay: TimeAmount = .seconds(3)
    /// Where the broker reports what an operator should know about (refused logins); nil says
    /// nothing. Called on the broker's event loop: keep it quick.
    public var log: (@Sendable (String) -> Void)?

    /// An AMQPS listener: a certificate chain and its private key, both PEM files.
    public struct TLSListener: Sendable {
        public var certificateChainFile: String
        public var privateKeyFile: String
        /// 0 picks a free port; ``Broker/amqpsPort`` tells which.
        public var port: Int

        public init(certificateChainFile: String, privateKeyFile: String, port: Int = 5671) {
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
            self.port = port
        }
    }

    public init(
        host: String = "127.0.0.1", amqpPort: Int = 5672,
        users: [User] = [User(name: "guest", password: "guest", loopbackOnly: true)],
        virtualHosts: [String] = ["/"], frameMax: UInt32 = 131_072, channelMax: UInt16 = 2047,
        heartbeat: UInt16 = 60, maximumMessageSize: UInt64 = 128 * 1024 * 1024, clusterName: String = "warren",
        memoryLimit: Int? = nil
    ) {
        self.host = host
        self.amqpPort = amqpPort
        self.users = users
        self.virtualHosts = virtualHosts
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.heartbeat = heartbeat
        self.maximumMessageSize = maximumMessageSize
        self.clusterName = clusterName
        self.memoryLimit = memoryLimit ?? Self.defaultMemoryLimit
    }

    /// `permissions`, or for nil full permissions for every user on every vhost.
    public var resolvedPermissions: [Permission] {
        permissions ?? users.flatMap { user in virtualHosts.map { Permission(user: user.name, vhost: $0) } }
    }

    /// 40% of physical memory.
    public static var defaultMemoryLimit: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 30 }
        return pages * pageSize / 10 * 4
    }
}
