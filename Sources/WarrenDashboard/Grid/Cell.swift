/// A 24-bit colour; the backend maps it to what the terminal has (256 or 16 colours).
public struct RGB: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Parses `#rrggbb` or `#rgb`.
    public init?(hex text: String) {
        var digits = Substring(text)
        guard digits.first == "#" else { return nil }
        digits = digits.dropFirst()
        if digits.count == 3 { digits = Substring(digits.map { "\($0)\($0)" }.joined()) }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff))
    }
}

/// How a cell is drawn: colours (`nil` is the terminal's default) and attributes.
public struct CellStyle: Sendable, Hashable {
    public var foreground: RGB?
    public var background: RGB?
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(foreground: RGB? = nil, background: RGB? = nil, bold: Bool = false, reverse: Bool = false,
                underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

/// One character cell of the screen.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var style: CellStyle

    public init(_ character: Character = " ", _ style: CellStyle = .plain) {
        self.character = character
        self.style = style
    }
}
