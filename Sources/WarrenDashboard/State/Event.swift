import Foundation
import WarrenMonitor

/// Everything that can change the view state, folded in one at a time by ``ViewState/handle(_:)``.
public enum Event: Sendable {
    /// A successful poll's snapshot.
    public static func snapshot(_ snapshot: Snapshot) -> Event { .poll(snapshot, error: nil, failures: 0) }

    /// A poller's status.
    public static func status(_ status: MonitorStatus) -> Event {
        .poll(status.snapshot, error: status.error?.description, failures: status.consecutiveFailures,
              duration: status.lastPollDuration)
    }

    case key(Key)
    /// A poll finished: the latest good snapshot, and the poll's error if it failed (with how many
    /// polls failed in a row).
    case poll(Snapshot?, error: String?, failures: Int, duration: TimeInterval? = nil)
    case resize(width: Int, height: Int)
    /// The clock moved (the snapshot's age is shown).
    case tick(Date)
    case peeked(QueueID, Result<PeekResult, MonitorError>)
    /// Progress or the end of the replay dialog's dry run or real run.
    case replay(ReplayEvent)
    case replayFailed(String)
    /// Progress or the end of a running replay task.
    case task(Int, ReplayEvent)
    case taskFailed(Int, String)
    case purged(QueueID, Result<Int, MonitorError>)
    case saved(QueueID, Result<ExportReport, MonitorError>)
    /// The message to edit is in its file: open the editor.
    case editReady(EditSession)
    /// The editor closed; the file's text, or why it could not be read.
    case edited(EditSession, Result<String, MonitorError>)
    case editFailed(String)
    /// The edited or new message was sent (the words to show), or not.
    case sent(EditSession, Result<String, MonitorError>)
    /// The theme in use changed (name, with any warnings about its file), or could not be loaded.
    case themeLoaded(String, warnings: [String])
    case themeFailed(String)
}

/// What the run loop must do for the view state: I/O the reducer does not do itself.
public enum Effect: Sendable, Hashable {
    case quit
    case peek(QueueID, count: Int)
    /// A dry run of a replay to origin, for the plan.
    case planReplay(QueueID)
    /// Run the dialog's replay as task `task`.
    case startReplay(QueueID, task: Int)
    /// Stop the dialog's dry run.
    case cancelReplay
    /// Stop a running replay task (the messages in flight are settled first).
    case cancelTask(Int)
    case purge(QueueID)
    /// Export the first `count` messages of the queue (the peeked ones), those `filters` match, to a file.
    case save(QueueID, count: Int, path: String, filters: [ReplayFilter])
    /// Fetch a peeked message whole and write it to a file to edit.
    case prepareEdit(QueueID, digest: UInt64, messageID: String?, within: Int)
    /// Write a new message's template to a file to edit.
    case prepareCompose(vhost: String)
    /// Run $EDITOR on the session's file (the run loop does: it owns the terminal).
    case openEditor(EditSession)
    case send(EditSession, ExportedMessage)
    case loadTheme(String)
    /// Ring the terminal bell (a new alert).
    case bell
}
