import Foundation
import WarrenDashboard
import WarrenMonitor
import WarrenWire

/// Fix and resend, and new messages: the files $EDITOR opens, and the sending.
extension Actions {
    func prepareEdit(_ queue: QueueID, digest: UInt64, messageID: String?, within: Int) {
        let mailbox = self.mailbox
        guard let url = amqpURL(for: queue) else {
            return mailbox.post(.editFailed("editing needs an AMQP URL (--amqp)"))
        }
        start {
            do {
                let message = try await Resend.fetch(amqpURL: url, queue: queue.name, digest: digest,
                                                     messageID: messageID, within: within)
                let session = try Self.writeSession(queue: queue, digest: digest, messageID: messageID,
                                                    within: within, vhost: queue.vhost, message: message)
                mailbox.post(.editReady(session))
            } catch {
                mailbox.post(.editFailed("edit of a message of \(queue) failed: \(MonitorError.from(error))"))
            }
        }
    }

    func prepareCompose(vhost: String) {
        let template = ExportedMessage(exchange: "", routingKey: "",
                                       properties: BasicProperties(contentType: "application/json", deliveryMode: 2),
                                       body: Array("{}".utf8))
        do {
            let session = try Self.writeSession(queue: nil, digest: nil, messageID: nil, within: 0, vhost: vhost,
                                                message: template)
            mailbox.post(.editReady(session))
        } catch {
            mailbox.post(.editFailed("cannot write the message to edit: \(error)"))
        }
    }

    static func writeSession(queue: QueueID?, digest: UInt64?, messageID: String?, within: Int, vhost: String,
                             message: ExportedMessage) throws -> EditSession {
        let document = try Resend.document(for: message)
        let path = NSTemporaryDirectory() + "warren-message-\(UUID().uuidString.prefix(8).lowercased()).json"
        try document.write(toFile: path, atomically: true, encoding: .utf8)
        return EditSession(queue: queue, digest: digest, messageID: messageID, within: within, vhost: vhost,
                           path: path, original: document)
    }

    /// Runs $VISUAL, else $EDITOR, else vi on the session's file, with the terminal handed over;
    /// posts what the file holds afterwards (and removes it).
    func openEditor(_ session: EditSession, terminal: Terminal) {
        let environment = ProcessInfo.processInfo.environment
        let editor = environment["VISUAL"] ?? environment["EDITOR"] ?? "vi"
        let status: Int32 = terminal.suspended {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", editor + " \"$1\"", "sh", session.path]
            do {
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            } catch {
                return -1
            }
        }
        defer { try? FileManager.default.removeItem(atPath: session.path) }
        guard status == 0 else {
            return mailbox.post(.edited(session, .failure(.failed("the editor '\(editor)' exited with status \(status); nothing sent"))))
        }
        guard let text = try? String(contentsOfFile: session.path, encoding: .utf8) else {
            return mailbox.post(.edited(session, .failure(.failed("cannot read the edited file; nothing sent"))))
        }
        mailbox.post(.edited(session, .success(text)))
    }

    func send(_ session: EditSession, _ message: ExportedMessage) {
        let mailbox = self.mailbox
        let poller = self.poller
        guard let url = amqpURL(for: session.queue ?? QueueID(vhost: session.vhost, name: "")) else {
            return mailbox.post(.sent(session, .failure(.failed("sending needs an AMQP URL (--amqp)"))))
        }
        let target = "exchange '\(message.exchange.isEmpty ? "(default)" : message.exchange)' key '\(message.routingKey)'"
        start {
            do throws(MonitorError) {
                if let queue = session.queue, let digest = session.digest {
                    _ = try await Resend.run(amqpURL: url, queue: queue.name, digest: digest,
                                             messageID: session.messageID, within: session.within, edited: message)
                    mailbox.post(.sent(session, .success("resent to \(target): confirmed, and the original was acked in \(queue)")))
                } else {
                    let report = try await Import.publish(
                        amqpURL: url, messages: [(1, message)], from: "the message",
                        options: ImportOptions(target: .exchange(message.exchange, routingKey: message.routingKey)))
                    if report.published == 1 {
                        mailbox.post(.sent(session, .success("published to \(target): confirmed and routed")))
                    } else {
                        let why = report.returned > 0 ? "returned by the broker as unroutable" : "nacked by the broker"
                        mailbox.post(.sent(session, .failure(.failed("the message to \(target) was \(why)"))))
                    }
                }
            } catch {
                mailbox.post(.sent(session, .failure(error)))
            }
            mailbox.post(.status(await poller.poll()))
        }
    }
}
