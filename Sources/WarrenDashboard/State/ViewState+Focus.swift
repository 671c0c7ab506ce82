import WarrenMonitor

extension ViewState {
    /// What the poller should ask live statistics for, given what is on screen: the Queues pane's
    /// sort, the `/` filter and vhost, the rows down to the bottom of the screen below the
    /// selection, and the open queue.
    public var pollFocus: PollFocus {
        let list = list(.queues)
        let openQueue: QueueID?
        switch screen {
        case .dashboard: openQueue = nil
        case .queue(let id), .message(let id, _), .causes(let id): openQueue = id
        }
        return PollFocus(sort: Self.apiSortKey(queueColumn: list.sortColumn), descending: list.sortDescending,
                         filter: filter, vhost: vhost, rows: Self.focusRows(selection: list.selection, height: height),
                         openQueue: openQueue)
    }

    /// Rows from the top down to a screen below the selection, in steps of 100: moving the
    /// selection changes the focus (and brings a poll forward) only every hundred rows.
    static func focusRows(selection: Int, height: Int) -> Int {
        let needed = selection + max(10, height)
        return min(PollPlan.maximumPageSize, (needed + 99) / 100 * 100)
    }

    /// The management API's sort field for a column of the Queues pane (the message-state bar
    /// sorts by depth there).
    static func apiSortKey(queueColumn: Int) -> PollFocus.SortKey {
        switch queueColumn {
        case 0: return .name
        case 1: return .type
        case 2: return .state
        case 3: return .messagesReady
        case 4: return .messagesUnacknowledged
        case 5: return .publishRate
        case 6: return .deliverRate
        case 7: return .consumers
        default: return .messages
        }
    }
}
