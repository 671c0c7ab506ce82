import NIOCore
import NIOPosix
import NIOSSL
import WarrenWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The broker's state: vhosts and connections. Everything in it runs on one event loop, so the
/// publish and deliver paths take no locks at all.
final class BrokerCore {
    /// Users and vhosts change at run time through the management API; a connection reads them
    /// when it starts.
    var configuration: BrokerConfiguration
    let eventLoop: any EventLoop
    var vhosts: [String: VirtualHost] = [:]
    private(set) var connections: [ObjectIdentifier: ServerConnection] = [:]
    /// Connection and channel churn, for the management API's churn_rates.
    var churn = ChurnCounters()
    /// The counters of channels that have closed, so totals survive them.
    private(set) var closedChannelTotals = ChannelStatistics()
    let startedAt = NIODeadline.now()
    /// Raised while the message bytes held exceed the configured limit: publishers are blocked.
    private(set) var memoryAlarm = false
    /// Raised while the disk has less free space than `diskFreeLimit`: publishers are blocked.
    private(set) var diskAlarm = false
    /// Free bytes on the disk the broker writes to, as last checked (Int.max if it cannot be read).
    private(set) var diskFree = Int.max
    private var checks = 0
    private var memoryCheck: RepeatedTask?
    /// Direct reply-to consumers by the key in their `amq.rabbitmq.reply-to.KEY` address.
    var replyConsumers: [String: ServerChannel.ReplyConsumer] = [:]
    /// Durable storage, when the broker has a data directory.
    var persistence: Persistence?
    /// What queued messages cost in RAM, and where queues page them out to.
    let pager: Pager
    /// Compiled permission patterns.
    let patterns = PatternMatcher()

    init(configuration: BrokerConfiguration, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.configuration.permissions = configuration.resolvedPermissions
        self.eventLoop = eventLoop
        pager = Pager(store: PagingStore(base: configuration.dataDirectory), limit: configuration.memoryLimit)
        diskFree = Self.freeDiskSpace(diskPath)
        for name in configuration.virtualHosts {
            vhosts[name] = VirtualHost(name: name, eventLoop: eventLoop, pager: pager)
        }
    }

    func addVirtualHost(_ name: String) {
        vhosts[name] = VirtualHost(name: name, eventLoop: eventLoop, pager: pager)
        configuration.virtualHosts.append(name)
    }

    /// Message body bytes held by every queue, ready (in RAM or paged out) or unacked.
    var messageBytes: Int {
        vhosts.values.reduce(0) { total, vhost in
            vhost.queues.values.reduce(total) { $0 + $1.readyBytes + $1.unackedBytes }
        }
    }

    /// Checks memory use periodically, as RabbitMQ's memory monitor does, and raises or clears
    /// the alarm.
    func startMemoryMonitor() {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        memoryCheck = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in
            bound.value.checkMemory()
        }
    }

    func stopMemoryMonitor() {
        memoryCheck?.cancel()
        memoryCheck = nil
    }

    /// Either alarm blocks publishers.
    var alarmed: Bool { memoryAlarm || diskAlarm }

    /// connection.blocked's reason, as RabbitMQ words it.
    var blockReason: String { Self.blockReason(memory: memoryAlarm, disk: diskAlarm) }

    /// rabbit_reader's wording: "low on " and the resources joined with " & ", in the order its
    /// set of alarms lists them (disk before memory on RabbitMQ 3.10.8's Erlang/OTP 25).
    static func blockReason(memory: Bool, disk: Bool) -> String {
        "low on " + [disk ? "disk" : nil, memory ? "memory" : nil].compactMap { $0 }.joined(separator: " & ")
    }

    /// Where free disk space is measured: the data directory, else where paged messages go.
    var diskPath: String {
        configuration.dataDirectory ?? PagingStore.temporaryRoot
    }

    /// Recounts what queues hold in RAM, has the biggest page out while the broker is over its
    /// paging threshold, and raises or clears the memory alarm; every tenth time (once a second)
    /// checks free disk space and raises or clears the disk alarm.
    func checkMemory() {
        if checks % 10 == 0 { diskFree = Self.freeDiskSpace(diskPath) }
        checks += 1
        let queues = vhosts.values.flatMap { $0.queues.values }
        pager.recount(queues.reduce(0) { $0 + $1.memory })
        if pager.underPressure {
            for queue in queues.sorted(by: { $0.memory > $1.memory }) where pager.underPressure {
                queue.reduceMemory()
            }
        }
        let wasAlarmed = alarmed
        memoryAlarm = pager.overLimit
        diskAlarm = diskFree < configuration.diskFreeLimit
        if wasAlarmed && !alarmed {
            for connection in connections.values { connection.unblock() }
        }
    }

    /// Changes the disk free limit at run time (`rabbitmqctl set_disk_free_limit`).
    func setDiskFreeLimit(_ limit: Int) {
        configuration.diskFreeLimit = limit
        checks = 0
        checkMemory()
    }

    static func freeDiskSpace(_ path: String) -> Int {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return Int.max }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    func register(_ connection: ServerConnection) {
        connections[ObjectIdentifier(connection)] = connection
        churn.connectionCreated += 1
    }

    func unregister(_ connection: ServerConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        churn.connectionClosed += 1
    }

    func channelClosed(_ stats: ChannelStatistics) {
        closedChannelTotals = closedChannelTotals + stats
        churn.channelClosed += 1
    }
}

/// Objects created and removed since the broker started (RabbitMQ's churn_rates).
package struct ChurnCounters: Sendable, Equatable {
    package var connectionCreated: UInt64 = 0
    package var connectionClosed: UInt64 = 0
    package var channelCreated: UInt64 = 0
    package var channelClosed: UInt64 = 0
    package var queueCreated: UInt64 = 0
    package var queueDeclared: UInt64 = 0
    package var queueDeleted: UInt64 = 0

    package init() {}
}

/// Warren's embedded AMQP 0-9-1 broker.
///
///     let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
///     print("listening on", broker.amqpPort)
///     try await broker.shutdown()
public final class Broker: Sendable {
    public let configuration: BrokerConfiguration
    /// The port actually bound (useful with `amqpPort: 0`).
    public let amqpPort: Int
    /// The AMQPS port bound, with ``BrokerConfiguration/tls``.
    public let amqpsPort: Int?
    let core: NIOLoopBound<BrokerCore>
    private let listeners: [any Channel]
    private let group: MultiThreadedEventLoopGroup

    private init(configuration: BrokerConfiguration, amqpPort: Int, amqpsPort: Int?, core: NIOLoopBound<BrokerCore>,
                 listeners: [any Channel], group: MultiThreadedEventLoopGroup) {
        self.configuration = configuration
        self.amqpPort = amqpPort
        self.amqpsPort = amqpsPort
        self.core = core
        self.listeners = listeners
        self.group = group
    }

    /// Binds the AMQP listener and starts serving.
    public static func start(_ configuration: BrokerConfiguration) async throws -> Broker {
        // Certificate and key first: a wrong file is reported before anything is recovered.
        let tlsContext = try configuration.tls?.makeContext()
        // Recovery reads files with blocking calls (seconds for 100,000 messages), so it runs on
        // a thread pool, not on Swift concurrency's few shared threads, before the loop serves
        // anyone.
        let recovered: (String, Recovery, DiskWriter)?
        if let directory = configuration.dataDirectory {
            let segmentSize = configuration.segmentSize
            recovered = try await NIOThreadPool.singleton.runIfActive {
                let writer = DiskWriter()
                let recovery = try Recovery.recover(directory: directory, segmentSize: segmentSize, writer: writer)
                return (directory, recovery, writer)
            }
        } else {
            recovered = nil
        }
        // One event loop owns every queue, exchange and connection: no locks on any message path.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let core = try await eventLoop.submit {
            let core = BrokerCore(configuration: configuration, eventLoop: eventLoop)
            if let (directory, recovery, writer) = recovered {
                let persistence = Persistence(directory: directory, eventLoop: eventLoop, store: recovery.store,
                                              writer: writer)
                core.install(recovery, persistence: persistence)
            }
            core.startMemoryMonitor()
            if let failures = recovered?.1.tidyingFailures, let first = failures.first {
                configuration.log?("recovered the data directory but could not tidy it (\(failures.count) file "
                    + "operation(s) failed, first: \(first)); it stays as it was and is tidied at a later start")
            }
            return NIOLoopBound(core, eventLoop: eventLoop)
        }.get()
        var listeners: [any Channel] = []
        do {
            let plain = try await listen(group: group, core: core, host: configuration.host,
                                         port: configuration.amqpPort, tls: nil)
            listeners.append(plain)
            var amqpsPort: Int?
            if let tls = configuration.tls, let tlsContext {
                let secure = try await listen(group: group, core: core, host: configuration.host, port: tls.port,
                                              tls: tlsContext)
                listeners.append(secure)
                amqpsPort = secure.localAddress?.port ?? tls.port
            }
            return Broker(configuration: configuration, amqpPort: plain.localAddress?.port ?? configuration.amqpPort,
                          amqpsPort: amqpsPort, core: core, listeners: listeners, group: group)
        } catch {
            for listener in listeners { try? await listener.close().get() }
            try? await eventLoop.flatSubmit { core.value.persistence?.close() ?? eventLoop.makeSucceededVoidFuture() }.get()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One AMQP listener; with a TLS context each connection speaks TLS first.
    private static func listen(group: MultiThreadedEventLoopGroup, core: NIOLoopBound<BrokerCore>, host: String,
                               port: Int, tls: NIOSSLContext?) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let connection = ServerConnection(broker: core.value, peerIsLoopback: isLoopback(channel.remoteAddress),
                                                      overTLS: tls != nil)
                    try channel.pipeline.syncOperations.addHandler(connection)
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    /// Changes the free disk space below which publishers are blocked, as `rabbitmqctl
    /// set_disk_free_limit` does; the alarm is re-evaluated at once.
    public func setDiskFreeLimit(_ limit: Int) async throws {
        let core = self.core
        try await core.eventLoop.submit { core.value.setDiskFreeLimit(limit) }.get()
    }

    /// Stops listening, closes every connection with 320 CONNECTION_FORCED, and stops the loop.
    public func shutdown() async throws {
        let core = self.core
        for listener in listeners { try await listener.close().get() }
        try await core.eventLoop.submit {
            core.value.stopMemoryMonitor()
            for connection in core.value.connections.values { connection.forceClose() }
        }.get()
        // Give clients a moment to read the close before the loop stops.
        try await core.eventLoop.scheduleTask(in: .milliseconds(100)) {}.futureResult.get()
        try await core.eventLoop.flatSubmit {
            core.value.persistence?.close() ?? core.eventLoop.makeSucceededVoidFuture()
        }.get()
        try await core.eventLoop.submit { core.value.pager.store.close() }.get()
        try await group.shutdownGracefully()
    }
}

func isLoopback(_ address: SocketAddress?) -> Bool {
    guard let ip = address?.ipAddress else { return false }
    return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
}
