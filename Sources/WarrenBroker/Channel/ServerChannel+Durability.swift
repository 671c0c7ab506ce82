// Publisher confirms that wait for the disk.
extension ServerChannel {
    /// Confirms (or nacks) `sequence` once the storage batch holding the message is fsynced, as
    /// RabbitMQ does for persistent messages in durable queues. A failed write nacks it.
    func confirmAfterSync(_ sequence: UInt64, refused: Bool, _ persistence: Persistence) {
        confirmsAwaitingDisk += 1
        persistence.whenSynced { [weak self] written in
            guard let self else { return }
            self.confirmsAwaitingDisk -= 1
            guard !self.isClosing else { return }
            self.confirm(sequence, refused: refused || !written)
        }
    }
}
