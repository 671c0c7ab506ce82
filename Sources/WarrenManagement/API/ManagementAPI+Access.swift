import WarrenBroker

/// What the user of one request may see, worked out before the request runs.
struct RequestScope: Sendable {
    /// The vhosts whose queues, exchanges, bindings and consumers the user may list: those
    /// they have permissions in (RabbitMQ's login vhosts), every one for administrators.
    var loginVhosts: Set<String> = []
    /// The vhosts /api/vhosts lists: every vhost for monitoring and administrator users.
    var visibleVhosts: Set<String> = []
    /// Users without monitoring see only their own connections and channels.
    var ownConnectionsOnly = false
}

// Which tag each endpoint needs, as RabbitMQ's management API checks them
// (rabbit_mgmt_util's is_authorized_admin, _monitor, _vhost, _vhost_visible).
extension ManagementAPI {
    static func notAuthorised(_ reason: String) -> RequestError {
        RequestError(status: 401, error: "not_authorised", reason: reason)
    }

    static let notAdministrator = notAuthorised("Not administrator user")
    static let notMonitor = notAuthorised("Not monitor user")
    static let notVhostUser = notAuthorised("User not authorised to access virtual host")
    static let accessRefused = notAuthorised("Access refused.")

    /// Refuses the request (401) unless the user's tags allow it; returns what they may see.
    func scope(for request: APIRequest) async throws(RequestError) -> RequestScope {
        let user = request.user
        let path = request.path
        let reads = request.method == "GET" || request.method == "HEAD"
        let snapshot = try await snapshot([])
        // Administrators see every vhost in the management API (AMQP still checks their
        // permissions), as RabbitMQ's management plugin lets them.
        let login = user.isAdministrator ? Set(snapshot.vhosts)
            : Set(snapshot.permissions.filter { $0.user == user.name }.map(\.vhost))
        var scope = RequestScope(loginVhosts: login, visibleVhosts: user.isMonitor ? Set(snapshot.vhosts) : login,
                                 ownConnectionsOnly: !user.isMonitor)
        func requireVhost(_ vhost: String) throws(RequestError) {
            // A vhost that does not exist is the endpoint's 404, not a refusal.
            if snapshot.vhosts.contains(vhost) && !login.contains(vhost) { throw Self.notVhostUser }
        }
        switch path.first {
        case "users", "permissions", "topic-permissions", "definitions":
            guard user.isAdministrator else { throw Self.notAdministrator }
        case "vhosts":
            // RabbitMQ 3.10.8 lets only administrators read one vhost, and change any.
            if !reads || path.count >= 2 {
                guard user.isAdministrator else { throw Self.notAdministrator }
            }
        case "nodes":
            guard user.isMonitor else { throw Self.notMonitor }
        case "queues", "exchanges", "bindings", "consumers":
            if path.count >= 2 { try requireVhost(path[1]) }
        case "policies" where path.count >= 3:
            // rabbit_mgmt_util:is_authorized_policies: one policy, to read or change, is for
            // administrators and for policymakers in their vhosts (or one that does not exist).
            let vhostAllowed = !snapshot.vhosts.contains(path[1]) || login.contains(path[1])
            guard user.isAdministrator || (user.isPolicymaker && vhostAllowed) else {
                throw Self.notAuthorised("User not authorised to access object")
            }
        case "operator-policies" where path.count >= 3:
            guard user.isAdministrator else { throw Self.notAdministrator }
        case "policies", "operator-policies":
            // Lists: any management user, in their vhosts (is_authorized_vhost).
            if path.count == 2 { try requireVhost(path[1]) }
        default:
            break
        }
        scope.visibleVhosts.formIntersection(snapshot.vhosts)
        return scope
    }
}
