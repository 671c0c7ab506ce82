import Foundation

/// A plain text table for the CLI: left-aligned text, right-aligned numbers.
public struct TextTable: Sendable, Hashable {
    public var headers: [String]
    public var rows: [[String]] = []
    public var numeric: Set<Int> = []

    public init(headers: [String], rows: [[String]] = [], numeric: Set<Int> = []) {
        self.headers = headers
        self.rows = rows
        self.numeric = numeric
    }

    public func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return numeric.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Short text for figures, shared by the dashboard and the CLI's tables.
public enum TextFormat {
    /// Bytes for people, in powers of 1024: `512B`, `1.5K`, `13M`, `24G`; `-` for unknown.
    public static func bytes(_ value: Int?) -> String {
        guard let value else { return "-" }
        let units = ["B", "K", "M", "G", "T"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value)B" : String(format: amount < 10 ? "%.1f%@" : "%.0f%@", amount, units[unit])
    }

    /// An exact count, `-` for unknown.
    public static func count(_ value: Int?) -> String { value.map(String.init) ?? "-" }

    /// A rate per second with one decimal below 100, `-` for unknown.
    public static func rate(_ rate: Rate?) -> String {
        guard let rate else { return "-" }
        return String(format: rate.perSecond.magnitude >= 100 ? "%.0f" : "%.1f", rate.perSecond)
    }
}
