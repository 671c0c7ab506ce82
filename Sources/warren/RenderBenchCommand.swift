import ArgumentParser
import Foundation
import WarrenDashboard

/// `warren render-bench`: times the dashboard's pure render on a large sample broker (hidden;
/// Benchmarks/README.md records its figures).
struct RenderBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-bench", abstract: "Time the dashboard render on a sample broker.", shouldDisplay: false)

    @Option(help: "Queues in the sample broker.") var queues = 10_000
    @Option(help: "Screen width.") var width = 200
    @Option(help: "Screen height.") var height = 60
    @Option(help: "Renders to time.") var iterations = 200

    func run() throws {
        let snapshot = SampleSnapshot.make(extraQueues: queues)
        func freshState() -> ViewState {
            var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt)
            _ = state.handle(.snapshot(snapshot))
            return state
        }
        // The first frame after a snapshot filters and sorts every queue; later frames (keys,
        // ticks) reuse those tables until the next snapshot, filter or sort.
        let first = time(max(3, iterations / 20)) { _ = Dashboard.render(freshState(), theme: .default, width: width, height: height) }
        let state = freshState()
        _ = Dashboard.render(state, theme: .default, width: width, height: height)
        let later = time(iterations) { _ = Dashboard.render(state, theme: .default, width: width, height: height) }
        print(String(format: "render %d queues at %dx%d: first frame after a snapshot median %.2f ms (p95 %.2f), "
                     + "later frames median %.2f ms (p95 %.2f, %d renders)",
                     snapshot.queues.count, width, height, first.median, first.p95, later.median, later.p95, iterations))
    }

    private func time(_ count: Int, _ body: () -> Void) -> (median: Double, p95: Double) {
        var timings: [Double] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        timings.sort()
        return (timings[timings.count / 2], timings[min(timings.count - 1, timings.count * 95 / 100)])
    }
}
