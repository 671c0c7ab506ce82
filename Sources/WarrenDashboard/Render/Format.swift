import Foundation
import WarrenMonitor

/// Short, fixed-width-friendly text for numbers.
enum Format {
    /// `-` for unknown; up to 99,999 exactly; then 123.4k, 12.3M.
    static func count(_ value: Int?) -> String {
        guard let value else { return "-" }
        if abs(value) < 100_000 { return String(value) }
        if abs(value) < 10_000_000 { return String(format: "%.1fk", Double(value) / 1000) }
        return String(format: "%.1fM", Double(value) / 1_000_000)
    }

    /// A rate per second: `-` unknown, `0`, `0.4`, `12.5`, `1.2k`.
    static func rate(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == 0 { return "0" }
        if abs(value) < 100 { return String(format: "%.1f", value) }
        if abs(value) < 10_000 { return String(format: "%.0f", value) }
        return String(format: "%.1fk", value / 1000)
    }

    /// A change with its sign: `+12.0`, `-3.5`, `0`.
    static func signedRate(_ value: Double?) -> String {
        guard let value else { return "-" }
        if abs(value) < 0.05 { return "0" }
        return (value > 0 ? "+" : "") + rate(value)
    }

    static func bytes(_ value: Int?) -> String { TextFormat.bytes(value) }

    /// `3s`, `2m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// A short duration with a tenth of a second below ten seconds: "0.4s", "12s".
    static func seconds(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.1fs", seconds) : duration(seconds)
    }

    /// The figures behind a state bar, named for what they really are.
    static func stateFigures(_ states: MessageStates) -> String {
        switch states.precision {
        case .exact:
            return "α\(count(states.alpha)) β\(count(states.beta)) γ\(count(states.gamma)) δ\(count(states.delta))"
        case .classicQueues:
            return "α\(count(states.alpha)) β+γ\(count(states.betaGamma)) δ\(count(states.delta))"
        case .ramVersusPagedOut:
            return "RAM \(count(states.inMemory)) paged \(count(states.notInMemory))"
        case .quorumInMemory:
            return "RAM \(count(states.inMemory)) disk \(count(states.notInMemory))"
        case .segmentFiles:
            return "mmap \(bytes(states.readyBytes))/\(bytes(states.unackedBytes))"
        case .unknown:
            return "not reported"
        }
    }

    static let sparkBlocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The last `width` values as block characters, scaled to their maximum.
    static func sparkline(_ values: [Double], width: Int) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width)
        let top = shown.max() ?? 0
        var line = String(repeating: " ", count: width - shown.count)
        for value in shown {
            let level = top > 0 ? Int((value / top * 7).rounded()) : 0
            line.append(sparkBlocks[max(0, min(7, level))])
        }
        return line
    }
}
