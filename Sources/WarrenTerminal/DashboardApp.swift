import CNcursesw
import Foundation
import Synchronization
import WarrenDashboard
import WarrenMonitor

/// What the dashboard watches and how.
public struct DashboardOptions: Sendable {
    public var source: any MonitorSource
    /// For peek, replay and purge; `nil` disables them.
    public var amqpURL: String?
    /// Seconds between polls; `nil` picks by broker (1 s for the embedded broker, 5 s for RabbitMQ).
    public var interval: TimeInterval?
    public var readonly: Bool
    public var theme: Theme
    public var themeWarnings: [String]
    public var catalog: ThemeCatalog
    public var color: Bool
    /// A line shown under the header the whole time.
    public var notice: String?
    /// What to alert on (the config file's `[alerts]`); `nil` for no alerts.
    public var alerts: AlertThresholds?
    /// Ring the terminal bell when an alert appears.
    public var bell: Bool

    public init(source: any MonitorSource, amqpURL: String?, interval: TimeInterval? = nil, readonly: Bool = false,
                theme: Theme = .default, themeWarnings: [String] = [], catalog: ThemeCatalog, color: Bool = true,
                notice: String? = nil, alerts: AlertThresholds? = nil, bell: Bool = false) {
        self.source = source
        self.amqpURL = amqpURL
        self.interval = interval
        self.readonly = readonly
        self.theme = theme
        self.themeWarnings = themeWarnings
        self.catalog = catalog
        self.color = color
        self.notice = notice
        self.alerts = alerts
        self.bell = bell
    }
}

/// Set from signal handlers (SIGINT, SIGTERM, SIGHUP): the loop ends and the terminal is restored.
let stopRequested = Atomic<Bool>(false)

/// Events from async work, taken by the UI thread.
final class Mailbox: Sendable {
    private let events = Mutex<[Event]>([])

    func post(_ event: Event) { events.withLock { $0.append(event) } }
    func drain() -> [Event] { events.withLock { queue in defer { queue.removeAll() }; return queue } }
}

/// The dashboard's run loop: one thread owns the terminal and the view state; polls and actions
/// run as tasks that post events to it.
public enum DashboardApp {
    /// Runs until q, Ctrl-C or SIGTERM. The terminal is restored on every way out.
    public static func run(_ options: DashboardOptions) async {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { _ in stopRequested.store(true, ordering: .relaxed) }
        }
        let mailbox = Mailbox()
        let poller = Poller(source: options.source, interval: options.interval)
        // The first poll already asks for the top of the default sort; the screen refines it.
        await poller.setFocus(PollFocus())
        let polling = Task {
            for await status in poller.updates() { mailbox.post(.status(status)) }
        }
        let actions = Actions(options: options, mailbox: mailbox, poller: poller)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                loop(options, mailbox: mailbox, actions: actions)
                done.resume()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        polling.cancel()
        actions.cancelAll()
    }

    private static func loop(_ options: DashboardOptions, mailbox: Mailbox, actions: Actions) {
        let terminal = Terminal(color: options.color)
        defer { terminal.close() }
        var (width, height) = terminal.size
        var state = ViewState(width: width, height: height, readonly: options.readonly,
                              themeName: options.theme.name, themeNames: options.catalog.names)
        state.alertThresholds = options.alerts
        state.bell = options.bell
        state.notice = options.notice
        state.sourceName = options.source.description
        if let warning = options.themeWarnings.first {
            state.status = warning + (options.themeWarnings.count > 1 ? " (+\(options.themeWarnings.count - 1) more)" : "")
        }
        var theme = options.color ? options.theme : .noColor
        var dirty = true
        var lastSecond = Int(Date().timeIntervalSince1970)
        var lastFocus: PollFocus?
        while !stopRequested.load(ordering: .relaxed) {
            var events = mailbox.drain()
            while let input = terminal.readKey() {
                switch input {
                case .key(let key): events.append(.key(key))
                case .resize:
                    (width, height) = terminal.size
                    events.append(.resize(width: width, height: height))
                }
                if events.count > 64 { break }
            }
            if terminal.hungUp { return }
            let second = Int(Date().timeIntervalSince1970)
            if second != lastSecond {
                lastSecond = second
                events.append(.tick(Date()))
            }
            for event in events {
                dirty = true
                for effect in state.handle(event) {
                    switch effect {
                    case .quit:
                        return
                    case .loadTheme(let name):
                        switch options.catalog.load(name) {
                        case .success(let load):
                            if options.color { theme = load.theme }
                            _ = state.handle(.themeLoaded(load.theme.name, warnings: load.warnings))
                        case .failure(let error):
                            _ = state.handle(.themeFailed(error.description))
                        }
                    case .bell:
                        terminal.bell()
                    case .openEditor(let session):
                        // On this thread: the editor takes the terminal until it exits.
                        actions.openEditor(session, terminal: terminal)
                        (width, height) = terminal.size
                        _ = state.handle(.resize(width: width, height: height))
                    default:
                        actions.perform(effect, state: state)
                    }
                }
            }
            let focus = state.pollFocus
            if focus != lastFocus {
                lastFocus = focus
                actions.focus(focus)
            }
            if dirty {
                let grid = Dashboard.render(state, theme: theme, width: width, height: height)
                terminal.draw(grid)
                dirty = false
            }
        }
    }
}
