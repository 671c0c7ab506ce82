import Foundation
import WarrenMonitor

/// Fix and resend (`e`) and new messages (`n`): the message goes to $EDITOR as a document in the
/// export format, comes back, is previewed against the snapshot's bindings, and is sent on Enter.
extension ViewState {
    /// `e`: the selected (or open) message, fetched whole for the editor.
    mutating func editMessage() -> [Effect] {
        let queue: QueueID
        let index: Int
        switch screen {
        case .queue(let id):
            (queue, index) = (id, drillSelection)
        case .message(let id, let position):
            (queue, index) = (id, position)
        case .dashboard, .causes:
            status = "open a queue and select a message to edit it (e)"
            return []
        }
        if readonly {
            status = "read-only: resending is disabled (--readonly)"
            return []
        }
        let messages = visibleMessages(queue)
        guard messages.indices.contains(index), let digest = messages[index].bodyDigest else {
            status = "no message selected: peek (p) first"
            return []
        }
        let message = messages[index]
        status = "fetching message \(message.index) of \(queue) to edit…"
        return [.prepareEdit(queue, digest: digest, messageID: message.properties["message_id"]?.string,
                             within: message.index + 100)]
    }

    /// `n`: a new message in the editor.
    mutating func composeMessage() -> [Effect] {
        if readonly {
            status = "read-only: publishing is disabled (--readonly)"
            return []
        }
        status = "opening the editor…"
        return [.prepareCompose(vhost: vhost ?? targetQueue?.vhost ?? "/")]
    }

    /// The editor closed on `text`.
    mutating func edited(_ session: EditSession, _ text: String) {
        guard text != session.original else {
            status = "unchanged: nothing sent"
            return
        }
        let message: ExportedMessage
        do {
            message = try ExportedMessage.parse(line: text, number: 1)
        } catch {
            status = "not sent: the edited message is not valid (\(error.reason))"
            return
        }
        var preview: RoutePreview?
        if let snapshot, !snapshot.exchanges.isEmpty {
            preview = RoutePreview.of(exchange: message.exchange, routingKey: message.routingKey,
                                      headers: message.properties.headers, vhost: session.vhost,
                                      exchanges: snapshot.exchanges, bindings: snapshot.bindings, queues: snapshot.queues)
        }
        compose = ComposeDialog(session: session, message: message, preview: preview)
        status = nil
    }

    mutating func composeKey(_ key: Key) -> [Effect] {
        guard let dialog = compose else { return [] }
        switch key {
        case .enter, .character("y"):
            guard !dialog.sending else { return [] }
            compose?.sending = true
            return [.send(dialog.session, dialog.message)]
        case .escape, .character("q"):
            guard !dialog.sending else { return [] }
            compose = nil
            status = "not sent" + (dialog.session.queue.map { "; the original stays in \($0)" } ?? "")
        default:
            break
        }
        return []
    }
}
