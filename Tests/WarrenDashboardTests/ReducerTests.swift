import Foundation
import Testing
import WarrenDashboard
import WarrenMonitor

@Suite struct ReducerTests {
    @Test func jAndKMoveWithinTheList() throws {
        var state = try sampleState(width: 160, height: 48)
        let count = state.table(.queues).count
        state.press(.character("j"), .character("j"), .down)
        #expect(state.list(.queues).selection == 3)
        state.press(.character("k"))
        #expect(state.list(.queues).selection == 2)
        state.press(.character("G"))
        #expect(state.list(.queues).selection == count - 1)
        state.press(.character("j"))
        #expect(state.list(.queues).selection == count - 1)
        state.press(.character("g"), .up)
        #expect(state.list(.queues).selection == 0)
    }

    @Test func sortColumnsAndInvert() throws {
        var state = try sampleState(width: 160, height: 48)
        #expect(state.table(.queues).names.first == "audit.backlog")
        state.press(.character(">"), .character(">"), .character(">"))  // Ready, numbers largest first
        #expect(state.list(.queues).sortColumn == 3)
        #expect(state.table(.queues).names.first == "reports.backlog")
        state.press(.character("I"))
        #expect(state.table(.queues).names.first == "emails")
        state.press(.character("<"), .character("<"), .character("<"), .character("<"))
        #expect(state.list(.queues).sortColumn == 8)
    }

    @Test func filterNarrowsAndEscClears() throws {
        var state = try sampleState(width: 80, height: 24)
        state.press(.character("/"))
        state.type("ORDER")
        #expect(state.table(.queues).names == ["orders", "orders.dlq"])
        state.press(.enter)
        #expect(state.input == .normal)
        #expect(state.filter == "ORDER")
        state.press(.escape)
        #expect(state.filter.isEmpty)
        state.press(.character("/"))
        state.type("x")
        state.press(.escape)
        #expect(state.filter.isEmpty && state.input == .normal)
    }

    @Test func commandLineSwitchesPanesVhostsAndThemes() throws {
        var state = try sampleState(width: 80, height: 24)
        state.press(.character(":"))
        state.type("nodes")
        state.press(.enter)
        #expect(state.focus == .nodes)
        state.press(.character(":"))
        state.type("vhost billing")
        state.press(.enter)
        #expect(state.vhost == "billing")
        #expect(state.table(.queues).names == ["billing/invoices"])
        state.press(.character(":"))
        state.type("theme light")
        #expect(state.press(.enter) == [.loadTheme("light")])
        state.press(.character(":"))
        state.type("bogus")
        state.press(.enter)
        #expect(state.status?.contains("unknown command :bogus") == true)
        state.press(.character(":"))
        state.type("q")
        #expect(state.press(.enter) == [.quit])
    }

    @Test func tabCyclesPanesAndTCyclesThemes() throws {
        var state = try sampleState(width: 80, height: 24)
        state.press(.tab)
        #expect(state.focus == .exchanges)
        state.press(.backTab, .backTab)
        #expect(state.focus == .nodes)
        #expect(state.press(.character("t")) == [.loadTheme("light")])
        _ = state.handle(.themeLoaded("light", warnings: []))
        #expect(state.press(.character("t")) == [.loadTheme("default")])
    }

    @Test func enterDrillsInPeeksAndOpensAMessage() throws {
        var state = ViewState(width: 80, height: 24)
        _ = state.handle(.snapshot(SampleSnapshot.make()))
        state.press(.character("/"))
        state.type("orders.dlq")
        state.press(.enter)
        #expect(state.press(.enter) == [.peek(QueueID(name: "orders.dlq"), count: ViewState.peekCount)])
        #expect(state.screen == .queue(QueueID(name: "orders.dlq")))
        _ = state.handle(.peeked(QueueID(name: "orders.dlq"), .success(try samplePeek())))
        state.press(.character("j"), .enter)
        #expect(state.screen == .message(QueueID(name: "orders.dlq"), index: 1))
        #expect(state.bodyMode == .text)
        state.press(.character("b"))
        #expect(state.bodyMode == .json)
        state.press(.escape)
        #expect(state.screen == .queue(QueueID(name: "orders.dlq")))
        state.press(.escape)
        #expect(state.screen == .dashboard)
    }

    @Test func replayPlansThenRunsAsATaskThatOutlivesItsDialog() throws {
        var state = try sampleState(width: 80, height: 24)
        let dlq = QueueID(name: "orders.dlq")
        state.press(.character(":"))
        state.type("dlq")
        state.press(.enter)
        #expect(state.press(.character("r")) == [.planReplay(dlq)])
        #expect(state.replay?.phase == .planning)
        #expect(state.press(.character("q")).isEmpty, "q in a dialog does not quit")
        var plan = ReplayProgress(lengthAtStart: 3)
        plan.perTarget = ["queue:orders": 3]
        _ = state.handle(.replay(.finished(try makeReport(plan, dryRun: true))))
        guard case .plan = state.replay?.phase else { Issue.record("no plan"); return }
        #expect(state.press(.enter) == [.startReplay(dlq, task: 1)])
        var progress = ReplayProgress(lengthAtStart: 3)
        progress.moved = 1
        _ = state.handle(.task(1, .progress(progress)))
        #expect(state.replay?.phase == .running(progress))
        #expect(state.press(.escape).isEmpty, "Esc closes the dialog and the replay goes on")
        #expect(state.replay == nil && state.tasks.first?.phase == .running(progress))
        #expect(state.status?.contains("T lists replays") == true)
        progress.moved = 2
        _ = state.handle(.task(1, .progress(progress)))
        state.press(.character("T"))
        #expect(state.showTasks)
        #expect(state.press(.character("x")) == [.cancelTask(1)])
        #expect(state.tasks.first?.phase == .cancelling(progress))
        state.press(.enter)
        #expect(!state.showTasks && state.replay?.taskID == 1 && state.replay?.phase == .cancelling(progress))
        _ = state.handle(.task(1, .finished(try makeReport(progress, dryRun: false, stop: .cancelled))))
        guard case .finished = state.replay?.phase, case .finished = state.tasks.first?.phase else {
            Issue.record("not finished")
            return
        }
        state.press(.escape)
        #expect(state.replay == nil && state.tasks.count == 1)

        // A second replay runs beside the first, with its own number; x in its dialog cancels it.
        state.press(.character("r"))
        _ = state.handle(.replay(.finished(try makeReport(plan, dryRun: true))))
        #expect(state.press(.enter) == [.startReplay(dlq, task: 2)])
        #expect(state.press(.character("x")) == [.cancelTask(2)])
    }

    @Test func purgeNeedsTheExactName() throws {
        var state = try sampleState(width: 80, height: 24)
        state.press(.character("P"))
        #expect(state.input == .purge(QueueID(name: "audit.backlog"), typed: ""))
        state.type("audit")
        #expect(state.press(.enter).isEmpty)
        #expect(state.status?.contains("purge cancelled") == true)
        state.press(.character("P"))
        state.type("audit.backlog")
        #expect(state.press(.enter) == [.purge(QueueID(name: "audit.backlog"))])
    }

    @Test func readonlyDisablesActions() throws {
        var state = try sampleState(width: 80, height: 24)
        state.readonly = true
        #expect(state.press(.character("r")).isEmpty)
        #expect(state.status?.contains("read-only") == true)
        #expect(state.press(.character("P")).isEmpty)
        #expect(state.input == .normal)
        #expect(state.press(.enter).isEmpty, "drilling in does not peek")
        #expect(state.peeks[QueueID(name: "audit.backlog")]?.error?.contains("--readonly") == true)
    }

    @Test func quitFromAnywhereButTyping() throws {
        var state = try sampleState(width: 80, height: 24)
        #expect(state.press(.character("q")) == [.quit])
        state.press(.character("/"))
        #expect(state.press(.character("q")).isEmpty)
        #expect(state.press(.control("c")) == [.quit])
        state.press(.escape, .character("?"))
        #expect(state.showHelp)
        state.press(.escape)
        #expect(!state.showHelp)
    }

    @Test func pollErrorsKeepTheLastSnapshot() throws {
        var state = try sampleState(width: 80, height: 24)
        let snapshot = state.snapshot
        _ = state.handle(.poll(nil, error: "broker unreachable", failures: 2))
        #expect(state.snapshot == snapshot)
        #expect(state.connection.error == "broker unreachable")
        _ = state.handle(.snapshot(SampleSnapshot.make()))
        #expect(state.connection.error == nil)
    }

    @Test func selectionStaysInRangeWhenQueuesDisappear() throws {
        var state = ViewState(width: 80, height: 24)
        _ = state.handle(.snapshot(SampleSnapshot.make(extraQueues: 20)))
        state.press(.character("G"))
        #expect(state.list(.queues).selection == 26)
        let later = Snapshot(state: BrokerState(queues: [QueueInfo(id: QueueID(name: "only"))]), source: "test",
                             takenAt: SampleSnapshot.takenAt.addingTimeInterval(5))
        _ = state.handle(.snapshot(later))
        #expect(state.list(.queues).selection == 0)
    }

    @Test func sSavesThePeekedMessagesWhereTyped() throws {
        var state = try sampleState(width: 80, height: 24)
        state.press(.character("s"))
        #expect(state.input == .normal && state.status?.contains("open a queue") == true)
        let dlq = QueueID(name: "orders.dlq")
        state.screen = .queue(dlq)
        state.press(.character("s"))
        guard case .save(dlq, count: 3, let path) = state.input else {
            Issue.record("no save prompt: \(state.input)")
            return
        }
        #expect(path.hasPrefix("orders.dlq-") && path.hasSuffix(".jsonl"))
        for _ in 0...path.count { state.press(.backspace) }
        #expect(state.input == .normal && state.status == "save cancelled", "backspace past the start cancels")
        state.press(.character("s"))
        state.press(.escape)
        #expect(state.input == .normal && state.status == "save cancelled")
        state.press(.character("s"))
        for _ in path { state.press(.backspace) }
        #expect(state.input == .save(dlq, count: 3, path: ""))
        state.type("/tmp/out.jsonl")
        #expect(state.press(.enter) == [.save(dlq, count: 3, path: "/tmp/out.jsonl", filters: [])])
        let report = ExportReport(queue: dlq.name, file: "/tmp/out.jsonl", exported: 3, consumed: false,
                                  warnings: ["RabbitMQ now marks the peeked messages redelivered"])
        _ = state.handle(.saved(dlq, .success(report)))
        #expect(state.status == "saved 3 messages of orders.dlq to /tmp/out.jsonl (RabbitMQ now marks the peeked messages redelivered)")
        _ = state.handle(.saved(dlq, .failure(.needsForce("'/tmp/out.jsonl' exists; pass --overwrite to replace it"))))
        #expect(state.status?.hasPrefix("save of orders.dlq failed: ") == true)

        state.screen = .queue(QueueID(name: "audit.backlog"))
        state.press(.character("s"))
        #expect(state.input == .normal && state.status == "nothing peeked to save: press p first")
        state.readonly = true
        state.screen = .queue(dlq)
        state.press(.character("s"))
        #expect(state.input == .normal && state.status?.contains("read-only") == true)
    }

    @Test func aPlanWithWarningsAsksTwice() throws {
        var state = try sampleState(width: 80, height: 24)
        let dlq = QueueID(name: "orders.dlq")
        state.replay = ReplayDialog(queue: dlq, phase: .planning)
        var progress = ReplayProgress(lengthAtStart: 3)
        progress.seen = 3
        var report = ReplayReport(replayID: "r", dryRun: true, progress: progress, stop: .reachedLength, warnings: [],
                                  queueLength: 3)
        report.planWarnings = [ReplayWarning(kind: .expires, queue: "orders", messages: 3, certain: true,
                                             text: "queue 'orders' expires messages after 5 ms and has no consumer")]
        _ = state.handle(.replay(.finished(report)))
        #expect(state.press(.enter).isEmpty)
        #expect(state.replay?.confirming == true)
        #expect(state.press(.enter) == [.startReplay(dlq, task: 1)])
    }

    @Test func filterGroupAndReplayAGroup() throws {
        var state = try sampleState(width: 160, height: 48)
        let dlq = QueueID(name: "orders.dlq")
        state.screen = .queue(dlq)
        state.press(.character("/"))
        state.type("body.sku=A-1 !reason=expired")
        state.press(.enter)
        #expect(state.visibleMessages(dlq).map(\.index) == [1])
        #expect(state.status == "filter body.sku=A-1 !reason=expired: 1 of 3 peeked messages")
        state.press(.character("/"))
        state.type(" nonsense")
        state.press(.enter)
        #expect(state.status?.hasPrefix("filter not applied: 'nonsense'") == true)
        #expect(state.visibleMessages(dlq).count == 1, "a bad filter leaves the last one")
        state.press(.escape)
        #expect(state.visibleMessages(dlq).count == 3 && state.screen == .queue(dlq), "Esc clears the filter first")

        #expect(state.press(.character("c")) == [.peek(dlq, count: ViewState.triageCount)])
        #expect(state.screen == .causes(dlq))
        let groups = state.causeGroups(dlq)
        #expect(groups.map(\.count) == [1, 1, 1])
        #expect(groups.map(\.reason) == ["expired", "rejected", nil])
        state.press(.character("j"))
        #expect(state.press(.character("r")) == [.planReplay(dlq)])
        #expect(state.replay?.filters == [.sourceQueue("orders"), .reason("rejected")])
        state.press(.escape)
        state.press(.enter)
        #expect(state.screen == .queue(dlq) && state.visibleMessages(dlq).map(\.index) == [1])
        let rendered = Dashboard.render(state, theme: .default, width: 160, height: 48).text
        #expect(rendered.contains("filter queue=orders reason=rejected: 1 of 3"))
    }

    @Test func editThenPreviewThenSend() throws {
        var state = try sampleState(width: 160, height: 48)
        let dlq = QueueID(name: "orders.dlq")
        state.screen = .message(dlq, index: 0)
        state.press(.character("e"))
        #expect(state.status == "no message selected: peek (p) first", "a message without its digest cannot be found again")
        state.peeks[dlq]!.messages[0].bodyDigest = 42
        #expect(state.press(.character("e")) == [.prepareEdit(dlq, digest: 42, messageID: "m-1", within: 101)])
        let session = EditSession(queue: dlq, digest: 42, messageID: "m-1", within: 101, vhost: "/", path: "/tmp/m.json",
                                  original: "{}")
        #expect(state.handle(.editReady(session)) == [.openEditor(session)])
        _ = state.handle(.edited(session, .success("{}")))
        #expect(state.status == "unchanged: nothing sent" && state.compose == nil)
        _ = state.handle(.edited(session, .success(#"{"bdy": "x"}"#)))
        #expect(state.status?.hasPrefix("not sent: the edited message is not valid (unknown key 'bdy'") == true)
        _ = state.handle(.edited(session, .success(#"{"exchange": "", "routing_key": "orders", "body": "fixed"}"#)))
        let dialog = try #require(state.compose)
        #expect(dialog.preview?.queues == [QueueID(name: "orders")])
        let sent = ExportedMessage(routingKey: "orders", body: Array("fixed".utf8))
        #expect(state.press(.enter) == [.send(session, sent)])
        #expect(state.press(.enter).isEmpty && state.press(.escape).isEmpty && state.compose?.sending == true,
                "once sending, the dialog waits for the outcome")
        _ = state.handle(.sent(session, .success("resent: confirmed")))
        #expect(state.compose == nil && state.status == "resent: confirmed" && state.peeks[dlq] == nil)

        state.readonly = true
        state.press(.character("n"))
        #expect(state.status == "read-only: publishing is disabled (--readonly)")
    }
}
