import CNcursesw
import Foundation
import WarrenDashboard

/// The ncurses screen: draws a ``Grid``, reads keys, and gives the terminal back as it found it.
/// Everything here runs on one thread (ncurses is not thread-safe).
final class Terminal {
    private var pairs: [PairKey: Int16] = [:]
    private var nextPair: Int16 = 1
    private let colors: Int
    private let useColor: Bool
    private var open = true

    private struct PairKey: Hashable {
        var foreground: Int16
        var background: Int16
    }

    /// Takes over the terminal. `color` false (NO_COLOR) draws with attributes only.
    init(color: Bool) {
        _ = warren_set_locale()
        initscr()
        raw()
        noecho()
        nonl()
        keypad(warren_stdscr(), true)
        curs_set(0)
        // Esc alone must not wait a second for a following escape sequence.
        set_escdelay(25)
        // Keys are read in 100 ms slices: responsive, and 10 idle wake-ups a second.
        wtimeout(warren_stdscr(), 100)
        var canColor = false
        if color, has_colors() {
            start_color()
            use_default_colors()
            canColor = true
        }
        useColor = canColor
        colors = canColor ? Int(warren_colors()) : 0
    }

    /// Gives the terminal to a program that takes it over (an editor) and takes it back after,
    /// repainting everything.
    func suspended<T>(_ body: () -> T) -> T {
        def_prog_mode()
        endwin()
        let result = body()
        reset_prog_mode()
        clearok(warren_stdscr(), true)
        wrefresh(warren_stdscr())
        return result
    }

    /// Restores the terminal; safe to call more than once.
    func close() {
        guard open else { return }
        open = false
        curs_set(1)
        endwin()
    }

    deinit { close() }

    var size: (width: Int, height: Int) { (Int(warren_cols()), Int(warren_lines())) }

    /// True once the terminal has gone (its window closed, the ssh session dropped): reads then
    /// fail at once instead of waiting, so the run loop must end rather than spin.
    var hungUp: Bool {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return false }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// A key within the input timeout (100 ms), or `nil`.
    func readKey() -> KeyInput? {
        var character: wint_t = 0
        let result = wget_wch(warren_stdscr(), &character)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            switch Int32(character) {
            case KEY_RESIZE: return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_BTAB: return .key(.backTab)
            case KEY_ENTER: return .key(.enter)
            default: return nil
            }
        }
        switch character {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.control(Character(UnicodeScalar(UInt8(character) + 96))))
        default:
            guard let scalar = UnicodeScalar(UInt32(character)) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// Rings the terminal bell (ncurses flashes the screen where there is no bell).
    func bell() {
        _ = beep()
    }

    /// Draws the grid, run by run of equal style.
    func draw(_ grid: Grid) {
        let (width, height) = size
        guard grid.width == width, grid.height == height else { return }
        var buffer: [wchar_t] = []
        buffer.reserveCapacity(width + 1)
        for y in 0..<height {
            var x = 0
            while x < width {
                let style = grid[x, y].style
                let start = x
                buffer.removeAll(keepingCapacity: true)
                while x < width, grid[x, y].style == style {
                    for scalar in grid[x, y].character.unicodeScalars.prefix(1) { buffer.append(wchar_t(scalar.value)) }
                    x += 1
                }
                buffer.append(0)
                wattrset(warren_stdscr(), Int32(bitPattern: attributes(style)))
                // The bottom-right cell cannot be written without scrolling; its error is harmless.
                _ = mvwaddnwstr(warren_stdscr(), Int32(y), Int32(start), buffer, Int32(buffer.count - 1))
            }
        }
        wattrset(warren_stdscr(), 0)
        wnoutrefresh(warren_stdscr())
        doupdate()
    }

    private func attributes(_ style: CellStyle) -> UInt32 {
        var attributes = UInt32(warren_a_normal())
        if style.bold { attributes |= UInt32(warren_a_bold()) }
        if style.reverse { attributes |= UInt32(warren_a_reverse()) }
        if style.underline { attributes |= UInt32(warren_a_underline()) }
        if useColor {
            let key = PairKey(foreground: index(style.foreground), background: index(style.background))
            if key.foreground >= 0 || key.background >= 0 {
                attributes |= UInt32(warren_color_pair(Int32(pair(key))))
            }
        }
        return attributes
    }

    private func index(_ color: RGB?) -> Int16 {
        guard let color else { return -1 }
        return Int16(ColorMapping.index(color, colors: colors))
    }

    private func pair(_ key: PairKey) -> Int16 {
        if let existing = pairs[key] { return existing }
        guard Int(nextPair) < min(Int(warren_color_pairs()), Int(Int16.max)) else { return 0 }
        let number = nextPair
        nextPair += 1
        init_pair(number, key.foreground, key.background)
        pairs[key] = number
        return number
    }
}

/// What the terminal read.
enum KeyInput {
    case key(Key)
    case resize
}
