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
        var state = ViewState(width: width, height: height, now: SampleSnapshot.takenAt)
        _ = state.handle(.snapshot(snapshot))
        var timings: [Double] = []
        var cells = 0
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let grid = Dashboard.render(state, theme: .default, width: width, height: height)
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            cells += grid.cells.count
        }
        timings.sort()
        let median = timings[timings.count / 2]
        let p95 = timings[min(timings.count - 1, timings.count * 95 / 100)]
        print(String(format: "render %d queues at %dx%d: median %.2f ms, p95 %.2f ms, min %.2f ms (%d renders)",
                     snapshot.queues.count, width, height, median, p95, timings[0], iterations))
        _ = cells
    }
}
