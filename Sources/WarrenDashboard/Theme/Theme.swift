import Foundation

/// The semantic colour keys of a theme file (`theme[key]="#rrggbb"`).
public enum ThemeKey: String, Sendable, Hashable, CaseIterable {
    case mainBackground = "main_bg"
    case mainForeground = "main_fg"
    case title
    case highlightForeground = "hi_fg"
    case selectedBackground = "selected_bg"
    case selectedForeground = "selected_fg"
    case inactiveForeground = "inactive_fg"
    case divider = "div_line"
    case headerBackground = "header_bg"
    case alpha
    case beta
    case gamma
    case delta
    case deadLetter = "dlq"
    case rateIn = "rate_in"
    case rateOut = "rate_out"
    case alarm
    case ok
    case warning
}

/// A colour theme: a colour (or the terminal's default) for every key.
public struct Theme: Sendable, Hashable {
    public var name: String
    /// `nil` means the terminal's default colour.
    public var colors: [ThemeKey: RGB?]

    public init(name: String, colors: [ThemeKey: RGB?]) {
        self.name = name
        self.colors = colors
    }

    public func color(_ key: ThemeKey) -> RGB? { colors[key] ?? nil }

    /// Foreground `key` on the main background.
    public func style(_ key: ThemeKey, bold: Bool = false) -> CellStyle {
        CellStyle(foreground: color(key), background: color(.mainBackground), bold: bold)
    }

    public var base: CellStyle { style(.mainForeground) }
    public var border: CellStyle { style(.divider) }
    public var dim: CellStyle { style(.inactiveForeground) }
    public var heading: CellStyle { style(.title, bold: true) }

    /// A selected row. Without selection colours (NO_COLOR) it is drawn reversed.
    public var selected: CellStyle {
        let background = color(.selectedBackground)
        return CellStyle(foreground: color(.selectedForeground), background: background ?? color(.mainBackground),
                         bold: true, reverse: background == nil)
    }

    public var header: CellStyle {
        CellStyle(foreground: color(.mainForeground), background: color(.headerBackground) ?? color(.mainBackground))
    }

    /// The compiled-in dark theme; Themes/default.theme holds the same colours.
    public static let `default` = Theme(name: "default", colors: [
        .mainBackground: nil,
        .mainForeground: RGB(0xd0, 0xd4, 0xdc),
        .title: RGB(0x8f, 0xc8, 0xff),
        .highlightForeground: RGB(0xff, 0xc8, 0x57),
        .selectedBackground: RGB(0x2c, 0x4a, 0x6e),
        .selectedForeground: RGB(0xff, 0xff, 0xff),
        .inactiveForeground: RGB(0x7a, 0x80, 0x8c),
        .divider: RGB(0x4a, 0x55, 0x66),
        .headerBackground: RGB(0x1c, 0x24, 0x30),
        .alpha: RGB(0x5f, 0xd7, 0x87),
        .beta: RGB(0xd7, 0xd7, 0x5f),
        .gamma: RGB(0xff, 0x99, 0x33),
        .delta: RGB(0xe0, 0x55, 0x55),
        .deadLetter: RGB(0xd7, 0x70, 0xd7),
        .rateIn: RGB(0x5f, 0xaf, 0xff),
        .rateOut: RGB(0x87, 0xd7, 0xaf),
        .alarm: RGB(0xff, 0x50, 0x50),
        .ok: RGB(0x5f, 0xd7, 0x5f),
        .warning: RGB(0xff, 0xaf, 0x00),
    ])

    /// Every colour the terminal's default: what NO_COLOR asks for. Selection is drawn reversed.
    public static let noColor = Theme(name: "no-color", colors: Dictionary(
        uniqueKeysWithValues: ThemeKey.allCases.map { ($0, RGB?.none) }))
}

/// The result of reading a theme file: the theme and anything odd about the file.
public struct ThemeLoad: Sendable {
    public var theme: Theme
    /// One line each, naming the file and line: unknown keys, bad colours, keys left out.
    public var warnings: [String]
}

extension Theme {
    /// Parses btop-style theme text: `theme[key]="#rrggbb"` lines, `#` comments, blank lines.
    /// An empty value is the terminal's default colour; unknown keys and unreadable lines are
    /// warned about and skipped; keys the file leaves out keep the default theme's colour.
    public static func parse(_ text: String, name: String, origin: String? = nil) -> ThemeLoad {
        var colors = Theme.default.colors
        var warnings: [String] = []
        var seen: Set<ThemeKey> = []
        let file = origin ?? name
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let here = "\(file):\(index + 1)"
            guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]"),
                  let equals = line[close...].firstIndex(of: "=")
            else {
                warnings.append("\(here): not a theme[key]=\"#rrggbb\" line, ignored")
                continue
            }
            let key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard let themeKey = ThemeKey(rawValue: key) else {
                warnings.append("\(here): unknown key '\(key)', ignored")
                continue
            }
            if value.isEmpty {
                colors[themeKey] = RGB?.none
            } else if let rgb = RGB(hex: value) {
                colors[themeKey] = rgb
            } else {
                warnings.append("\(here): '\(value)' for \(key) is not #rrggbb, the default colour is used")
                continue
            }
            seen.insert(themeKey)
        }
        let missing = ThemeKey.allCases.filter { !seen.contains($0) }.map(\.rawValue)
        if !missing.isEmpty {
            warnings.append("\(file): no \(missing.joined(separator: ", ")); the default theme's colours are used")
        }
        return ThemeLoad(theme: Theme(name: name, colors: colors), warnings: warnings)
    }
}
