/// Maps 24-bit colours to the palettes terminals really have.
public enum ColorMapping {
    /// The nearest xterm 256-colour index (the 6×6×6 cube or the grey ramp).
    public static func xterm256(_ c: RGB) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for index in 1..<levels.count where abs(levels[index] - Int(v)) < abs(levels[best] - Int(v)) { best = index }
            return best
        }
        let (ri, gi, bi) = (nearestLevel(c.r), nearestLevel(c.g), nearestLevel(c.b))
        let cube = (levels[ri], levels[gi], levels[bi])
        let average = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let greyIndex = max(0, min(23, (average - 8 + 5) / 10))
        let grey = 8 + 10 * greyIndex
        if distance(c, cube) <= distance(c, (grey, grey, grey)) {
            return 16 + 36 * ri + 6 * gi + bi
        }
        return 232 + greyIndex
    }

    /// The standard 16 ANSI colours as xterm draws them, by index.
    static let ansi16: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
        (255, 255, 255),
    ]

    /// The nearest of the 16 ANSI colours (`limit` 8 for terminals with only the first eight).
    public static func ansi(_ c: RGB, limit: Int = 16) -> Int {
        var best = 0
        var bestDistance = Int.max
        for index in 0..<min(limit, ansi16.count) {
            let d = distance(c, ansi16[index])
            if d < bestDistance {
                best = index
                bestDistance = d
            }
        }
        return best
    }

    /// A colour index for a terminal with `colors` colours.
    public static func index(_ c: RGB, colors: Int) -> Int {
        if colors >= 256 { return xterm256(c) }
        return ansi(c, limit: colors >= 16 ? 16 : 8)
    }

    private static func distance(_ c: RGB, _ other: (Int, Int, Int)) -> Int {
        let dr = Int(c.r) - other.0
        let dg = Int(c.g) - other.1
        let db = Int(c.b) - other.2
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }
}
