import Foundation
import NIOCore
import WarrenWire

// Copies the broker's state into a ``BrokerSnapshot``. Runs on the broker's event loop.
extension BrokerCore {
    var nodeName: String { "warren@" + Self.hostName }

    static let hostName: String = {
        let name = ProcessInfo.processInfo.hostName
        return name.split(separator: ".").first.map(String.init) ?? "localhost"
    }()

    func snapshot(_ parts: SnapshotParts, vhost only: String?, amqpPort: Int) -> BrokerSnapshot {
        var totals = closedChannelTotals
        var churn = self.churn
        let selected = vhosts.values.filter { only == nil || $0.name == only }.sorted { $0.name < $1.name }
        var traffic: [String: VhostTraffic] = [:]
        for vhost in vhosts.values {
            traffic[vhost.name] = VhostTraffic(stats: vhost.closedChannelTotals,
                                               receivedOctets: vhost.closedReceivedOctets,
                                               sentOctets: vhost.closedSentOctets)
            churn.queueCreated += vhost.queueCreated
            churn.queueDeclared += vhost.queueDeclared
            churn.queueDeleted += vhost.queueDeleted
        }
        var snapshot = BrokerSnapshot(
            nodeName: nodeName, clusterName: configuration.clusterName, amqpHost: configuration.host,
            amqpPort: amqpPort, uptimeMilliseconds: (NIODeadline.now() - startedAt).nanoseconds / 1_000_000,
            memoryAlarm: memoryAlarm, memoryLimit: configuration.memoryLimit, messageBytes: messageBytes,
            vhosts: configuration.virtualHosts, users: configuration.users, channelTotals: totals, churn: churn)
        snapshot.diskAlarm = diskAlarm
        snapshot.permissions = configuration.permissions ?? []
        snapshot.topicPermissions = configuration.topicPermissions
        snapshot.diskFree = diskFree
        for vhost in vhosts.values {
            snapshot.policies += vhost.policies.all
            snapshot.operatorPolicies += vhost.policies.allOperator
        }
        snapshot.diskFreeLimit = configuration.diskFreeLimit
        for vhost in selected {
            if parts.contains(.queues) {
                snapshot.queues.reserveCapacity(snapshot.queues.count + vhost.queues.count)
                for queue in vhost.queues.values { snapshot.queues.append(Self.snapshot(queue)) }
            }
            if parts.contains(.exchanges) {
                for exchange in vhost.exchanges.values { snapshot.exchanges.append(Self.snapshot(exchange, vhost.name)) }
            }
            if parts.contains(.bindings) { snapshot.bindings += Self.bindings(of: vhost) }
        }
        let wantsChannels = !parts.isDisjoint(with: [.consumers, .connections, .channels])
        for connection in connections.values {
            let name = connection.vhost?.name ?? ""
            var vhostTraffic = traffic[name] ?? VhostTraffic()
            vhostTraffic.receivedOctets += connection.receivedOctets
            vhostTraffic.sentOctets += connection.sentOctets
            for channel in connection.channels.values {
                totals = totals + channel.stats
                vhostTraffic.stats = vhostTraffic.stats + channel.stats
            }
            if traffic[name] != nil { traffic[name] = vhostTraffic }
            guard wantsChannels, let vhost = connection.vhost, only == nil || vhost.name == only else { continue }
            let base = Self.identity(connection)
            if parts.contains(.connections) { snapshot.connections.append(Self.snapshot(connection, base)) }
            for channel in connection.channels.values {
                var identity = base
                identity.number = Int(channel.id)
                if parts.contains(.channels) { snapshot.channels.append(Self.snapshot(channel, identity)) }
                guard parts.contains(.consumers) else { continue }
                for (consumer, queue) in channel.consumers.values {
                    snapshot.consumers.append(ConsumerSnapshot(
                        vhost: vhost.name, queue: queue.name, tag: consumer.tag, ackRequired: !consumer.noAck,
                        exclusive: consumer.exclusive, prefetch: Int(consumer.prefetch), priority: consumer.priority,
                        active: !queue.settings.singleActiveConsumer || queue.consumers.first === consumer,
                        channel: identity))
                }
            }
        }
        snapshot.channelTotals = totals
        snapshot.vhostTraffic = traffic
        return snapshot
    }

    /// Every queue's vhost and name: enough to filter, sort and page before copying any figures.
    func queueKeys(vhost only: String?) -> [QueueKey] {
        var keys: [QueueKey] = []
        for vhost in vhosts.values where only == nil || vhost.name == only {
            keys.reserveCapacity(keys.count + vhost.queues.count)
            for name in vhost.queues.keys { keys.append(QueueKey(vhost: vhost.name, name: name)) }
        }
        return keys
    }

    /// Snapshots of the named queues that still exist, in the order given.
    func queueSnapshots(_ keys: [QueueKey]) -> [QueueSnapshot] {
        keys.compactMap { key in vhosts[key.vhost]?.queues[key.name].map(Self.snapshot) }
    }

    static func snapshot(_ queue: BrokerQueue) -> QueueSnapshot {
        let consumers = queue.consumers
        let ready = queue.readyCount
        var utilisation = 0.0
        if !consumers.isEmpty {
            utilisation = ready == 0 || consumers.contains(where: \.canTakeMore) ? 1.0 : 0.0
        }
        let durable = queue.durable
        return QueueSnapshot(
            vhost: queue.vhost.name, name: queue.name, durable: durable, autoDelete: queue.autoDelete,
            exclusive: queue.exclusiveOwner != nil, arguments: queue.arguments,
            isQuorum: queue.settings.kind == .quorum, isLazy: queue.settings.lazy, ready: ready,
            unacked: queue.unackedCount, readyBytes: queue.readyBytes, unackedBytes: queue.unackedBytes,
            persistent: durable ? queue.readyPersistentCount + queue.unackedPersistentCount : 0,
            persistentBytes: durable ? queue.readyPersistentBytes + queue.unackedPersistentBytes : 0,
            states: queue.stateCounts, readyRAMBytes: queue.readyRAMBytes,
            pagedOutTransient: queue.pagedOutTransient.count, pagedOutTransientBytes: queue.pagedOutTransient.bytes,
            residentMemory: queue.memory, consumers: consumers.count, consumerUtilisation: utilisation,
            nextSequence: queue.nextSequenceNumber - 1, headTimestamp: queue.headEntry?.message.properties.timestamp,
            exclusiveConsumerTag: consumers.first(where: \.exclusive)?.tag,
            singleActiveConsumerTag: queue.settings.singleActiveConsumer ? consumers.first?.tag : nil,
            stats: queue.stats, policy: queue.policy?.name, operatorPolicy: queue.operatorPolicy?.name,
            effectivePolicy: queue.effectivePolicyDefinition)
    }

    static func snapshot(_ exchange: Exchange, _ vhost: String) -> ExchangeSnapshot {
        ExchangeSnapshot(
            vhost: vhost, name: exchange.name, type: exchange.type.rawValue, durable: exchange.durable,
            autoDelete: exchange.autoDelete, isInternal: exchange.isInternal, arguments: exchange.arguments,
            publishIn: exchange.publishedIn, publishOut: exchange.routedOut, policy: exchange.policy?.name)
    }

    /// Bindings as RabbitMQ lists them: the default exchange's implicit binding to every queue
    /// first, then the declared ones.
    static func bindings(of vhost: VirtualHost) -> [BindingSnapshot] {
        var result: [BindingSnapshot] = []
        for name in vhost.queues.keys.sorted() {
            result.append(BindingSnapshot(vhost: vhost.name, source: "", destination: name, destinationIsQueue: true,
                                          routingKey: name, arguments: FieldTable()))
        }
        for exchange in vhost.exchanges.values.sorted(by: { $0.name < $1.name }) where !exchange.name.isEmpty {
            for binding in exchange.bindings {
                var isQueue = false
                if case .queue = binding.destination { isQueue = true }
                result.append(BindingSnapshot(
                    vhost: vhost.name, source: binding.source, destination: binding.destination.name,
                    destinationIsQueue: isQueue, routingKey: binding.routingKey, arguments: binding.arguments))
            }
        }
        return result
    }

    static func identity(_ connection: ServerConnection) -> ChannelIdentity {
        let peer = connection.peerAddress
        let local = connection.localAddress
        let name = "\(peer?.ipAddress ?? "?"):\(peer?.port ?? 0) -> \(local?.ipAddress ?? "?"):\(local?.port ?? 0)"
        return ChannelIdentity(connectionName: name, number: 0, user: connection.username,
                               peerHost: peer?.ipAddress ?? "", peerPort: peer?.port ?? 0)
    }

    static func snapshot(_ connection: ServerConnection, _ identity: ChannelIdentity) -> ConnectionSnapshot {
        ConnectionSnapshot(
            name: identity.connectionName, vhost: connection.vhost?.name ?? "/", user: connection.username,
            host: connection.localAddress?.ipAddress ?? "", port: connection.localAddress?.port ?? 0,
            peerHost: identity.peerHost, peerPort: identity.peerPort, channels: connection.channelCount,
            frameMax: Int(connection.frameMax), channelMax: Int(connection.channelMax),
            heartbeat: Int(connection.heartbeat), clientProperties: connection.clientProperties,
            connectedAt: connection.connectedAtWallClock, receivedOctets: connection.receivedOctets,
            sentOctets: connection.sentOctets, receiveCount: connection.receiveCount,
            sendCount: connection.sendCount, blocked: connection.isBlocked, inFlow: connection.isInFlow,
            ssl: connection.overTLS, sslProtocol: connection.tlsProtocol)
    }

    static func snapshot(_ channel: ServerChannel, _ identity: ChannelIdentity) -> ChannelSnapshot {
        ChannelSnapshot(
            identity: identity, vhost: channel.vhost.name, consumerCount: channel.consumers.count,
            unacked: channel.unacked.count, prefetch: Int(channel.consumerPrefetch),
            globalPrefetch: Int(channel.channelPrefetch), confirm: channel.confirmMode,
            transactional: channel.transactional, unconfirmed: channel.confirmAckPending.map { Int($0 - (channel.confirmAckFirst ?? $0)) + 1 } ?? 0,
            uncommittedMessages: channel.txPublishes.count, uncommittedAcks: channel.txAcks.count,
            stats: channel.stats)
    }
}
