import NIOCore

/// A publisher confirm held back for the disk: settled when the storage batch holding its
/// message is fsynced, or earlier, when every queue has let go of the message (consumed and
/// acked, purged, expired) before that, as RabbitMQ does: nothing is left to make durable.
final class DiskConfirm {
    let sequence: UInt64
    let refused: Bool
    /// nil while waiting; then whether the message was written (or needed no writing).
    private(set) var written: Bool?
    private weak var channel: ServerChannel?

    init(sequence: UInt64, refused: Bool, channel: ServerChannel, written: Bool? = nil) {
        self.sequence = sequence
        self.refused = refused
        self.channel = channel
        self.written = written
    }

    func complete(written: Bool) {
        guard self.written == nil else { return }
        self.written = written
        channel?.releaseDiskConfirms()
    }
}

// Publisher confirms that wait for the disk.
extension ServerChannel {
    /// Confirms (or nacks) `sequence` once the storage batch holding the message is fsynced, or
    /// once no queue holds the message any more; a failed write nacks it. `storeID` is the
    /// message's id in the message store when it needs the disk; without one the confirm only
    /// waits for those before it, so acks stay in order.
    func confirmAfterSync(_ sequence: UInt64, refused: Bool, _ persistence: Persistence, storeID: UInt64?) {
        guard let storeID else {
            diskConfirms.append(DiskConfirm(sequence: sequence, refused: refused, channel: self, written: true))
            return
        }
        let pending = DiskConfirm(sequence: sequence, refused: refused, channel: self)
        diskConfirms.append(pending)
        persistence.whenSynced { written in pending.complete(written: written) }
        persistence.confirmWhenReleased(storeID, pending)
    }

    /// Sends, in order, the confirms at the front that are settled.
    func releaseDiskConfirms() {
        var released = false
        while let first = diskConfirms.first, let written = first.written {
            diskConfirms.removeFirst()
            guard !isClosing else { continue }
            confirm(first.sequence, refused: first.refused || !written)
            released = true
        }
        // Settled by another connection's ack, say: this connection's reads will not send them.
        if released { connection.flushConfirmsSoon() }
    }
}
