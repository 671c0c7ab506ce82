import Foundation
import WarrenMonitor

/// A made-up broker with every kind of thing the dashboard shows: the render tests draw it, and
/// the render benchmark adds thousands of queues to it. Fixed numbers, so renders are repeatable.
public enum SampleSnapshot {
    public static let takenAt = Date(timeIntervalSince1970: 1_790_000_000)

    /// The sample broker, with `extraQueues` more plain classic queues (`bulk.00001`, ...).
    public static func make(extraQueues: Int = 0) -> Snapshot {
        var state = BrokerState()
        state.overview.clusterName = "rabbit@sample"
        state.overview.node = "rabbit@node-1"
        state.overview.broker = BrokerIdentity(product: .rabbitmq, version: "3.10.8")
        state.overview.messagesReady = 12_663
        state.overview.messagesUnacknowledged = 7
        state.overview.messageStats.publish = Counter(total: 190_000, apiRate: 412.5)
        state.overview.messageStats.deliverGet = Counter(total: 180_000, apiRate: 398.1)

        var node1 = NodeInfo(name: "rabbit@node-1", running: true)
        node1.memoryUsed = 310 << 20
        node1.memoryLimit = 1 << 30
        node1.diskFree = 40 << 30
        node1.diskFreeLimit = 50 << 20
        var node2 = NodeInfo(name: "rabbit@node-2", running: true, memoryAlarm: true)
        node2.memoryUsed = 900 << 20
        node2.memoryLimit = 800 << 20
        node2.diskFree = 38 << 30
        node2.diskFreeLimit = 50 << 20
        let node3 = NodeInfo(name: "rabbit@node-3", running: false)
        state.nodes = [node1, node2, node3]
        state.vhosts = [VhostInfo(name: "/"), VhostInfo(name: "billing")]

        func queue(_ name: String, vhost: String = "/", type: String = "classic", ready: Int, unacked: Int = 0,
                   consumers: Int, publish: Double? = nil, deliver: Double? = nil, arguments: [String: JSON] = [:],
                   exact: (Int, Int, Int, Int)? = nil) -> QueueInfo {
            var q = QueueInfo(id: QueueID(vhost: vhost, name: name), type: type, arguments: arguments,
                              messages: ready + unacked, consumers: consumers)
            q.messagesReady = ready
            q.messagesUnacknowledged = unacked
            q.state = "running"
            q.node = "rabbit@node-1"
            if let publish { q.messageStats.publish = Counter(total: 1000, apiRate: publish) }
            if let deliver { q.messageStats.deliverGet = Counter(total: 1000, apiRate: deliver) }
            if let (a, b, g, d) = exact {
                var status = BackingQueueStatus()
                status.alpha = a
                status.beta = b
                status.gamma = g
                status.delta = d
                q.backingQueueStatus = status
            }
            return q
        }
        let dlx: [String: JSON] = ["x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "orders"]
        var payments = queue("payments", type: "quorum", ready: 120, unacked: 3, consumers: 2, publish: 40, deliver: 39.5,
                             arguments: ["x-queue-type": "quorum", "x-delivery-limit": 5])
        payments.messagesRAM = 100
        payments.leader = "rabbit@node-1"
        payments.members = ["rabbit@node-1", "rabbit@node-2", "rabbit@node-3"]
        payments.online = ["rabbit@node-1", "rabbit@node-2"]
        var pagedBacklog = queue("reports.backlog", ready: 9_000, consumers: 0, publish: 55, deliver: 0)
        pagedBacklog.messagesRAM = 2_000
        pagedBacklog.messagesPagedOut = 7_000
        state.queues = [
            queue("orders", ready: 310, unacked: 4, consumers: 3, publish: 250, deliver: 248.2, arguments: dlx,
                  exact: (310, 0, 0, 0)),
            queue("orders.dlq", ready: 42, consumers: 0, publish: 1.5, deliver: 0, exact: (42, 0, 0, 0)),
            queue("audit.backlog", ready: 3_000, consumers: 0, publish: 60, deliver: 0, exact: (400, 600, 800, 1_200)),
            queue("emails", ready: 0, consumers: 1, publish: 5, deliver: 5, arguments: ["x-message-ttl": 60000],
                  exact: (0, 0, 0, 0)),
            payments, pagedBacklog,
            queue("invoices", vhost: "billing", ready: 191, consumers: 1, publish: 1, deliver: 0.5, exact: (191, 0, 0, 0)),
        ]
        for index in 0..<extraQueues {
            let n = index + 1
            state.queues.append(queue(String(format: "bulk.%05d", n), ready: (n * 37) % 5000, unacked: n % 3,
                                      consumers: n % 4, publish: Double(n % 50), deliver: Double(n % 45),
                                      exact: ((n * 37) % 5000, 0, 0, 0)))
        }

        var dlxExchange = ExchangeInfo(name: "dlx", type: "direct")
        dlxExchange.messageStats.publishIn = Counter(total: 90, apiRate: 1.5)
        var ordersExchange = ExchangeInfo(name: "orders.topic", type: "topic")
        ordersExchange.messageStats.publishIn = Counter(total: 9000, apiRate: 250)
        ordersExchange.messageStats.publishOut = Counter(total: 9000, apiRate: 250)
        state.exchanges = [ExchangeInfo(name: "", type: "direct"), ExchangeInfo(name: "amq.fanout", type: "fanout"),
                           dlxExchange, ordersExchange, ExchangeInfo(name: "events", type: "headers")]
        state.bindings = [
            BindingInfo(source: "orders.topic", destination: "orders", routingKey: "order.*"),
            BindingInfo(source: "dlx", destination: "orders.dlq", routingKey: "orders"),
            BindingInfo(source: "events", destination: "audit.backlog", routingKey: ""),
        ]
        var c1 = ConsumerInfo(queue: QueueID(name: "orders"), consumerTag: "amq.ctag-orders-1")
        c1.prefetchCount = 50
        c1.connectionName = "127.0.0.1:50412 -> 127.0.0.1:5672"
        c1.channelNumber = 1
        var c2 = ConsumerInfo(queue: QueueID(name: "payments"), consumerTag: "billing-worker")
        c2.prefetchCount = 10
        c2.ackRequired = true
        var c3 = ConsumerInfo(queue: QueueID(name: "emails"), consumerTag: "mailer")
        c3.ackRequired = false
        c3.active = false
        state.consumers = [c1, c2, c3]
        return Snapshot(state: state, source: "management http://127.0.0.1:15672/", takenAt: takenAt)
    }
}
