import NIOCore

/// The readers recovery runs on whatever files it finds in a data directory, as one function of
/// arbitrary bytes, for the fuzzer (`scripts/fuzz records`). Each checks the property recovery
/// relies on and says which one broke.
package enum RecoveryReaders {
    /// Reads `file` as a message store segment, a queue index and a definitions file at once.
    /// Returns nil when every property holds, else what broke.
    package static func check(_ file: ByteBuffer) -> String? {
        let scan = RecordFormat.scan(file)
        guard scan.validLength + scan.droppedBytes == file.readableBytes else {
            return "valid \(scan.validLength) + dropped \(scan.droppedBytes) != \(file.readableBytes) bytes"
        }
        // Every complete record is kept: framing them again gives back the valid prefix exactly.
        var reframed = ByteBuffer()
        for record in scan.records { RecordFormat.write(record, into: &reframed) }
        guard reframed == file.getSlice(at: file.readerIndex, length: scan.validLength) else {
            return "the \(scan.records.count) records framed again differ from the file's valid part"
        }
        for record in scan.records {
            if let failure = checkStoredMessage(record) { return failure }
        }
        _ = QueueIndex.replay(scan.records)
        // Compared as bytes: a NaN in an argument table is not equal to itself.
        let definitions = Definitions(records: scan.records).records()
        guard Definitions(records: definitions).records() == definitions else {
            return "definitions read, written and read again differ"
        }
        return nil
    }

    /// A message store record that decodes encodes to a record that decodes to the same message
    /// (compared encoded, as a NaN in a header table is not equal to itself).
    private static func checkStoredMessage(_ record: ByteBuffer) -> String? {
        guard let (id, message) = StoredMessage.decode(record) else { return nil }
        let encoded = StoredMessage.encode(id: id, message)
        guard let (againID, again) = StoredMessage.decode(encoded) else {
            return "a stored message, encoded again, does not decode"
        }
        return StoredMessage.encode(id: againID, again) == encoded ? nil : "a stored message changed on a round trip"
    }
}
