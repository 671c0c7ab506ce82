import Foundation

/// Finds themes by name or path: the compiled-in default, `*.theme` files in the user's theme
/// folder (`$XDG_CONFIG_HOME/warren/themes`, else `~/.config/warren/themes`) and in the Themes/
/// folder that ships with Warren (`$WARREN_THEMES_DIR`, else found next to the executable).
public struct ThemeCatalog: Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    /// The folders searched for a process with this environment and executable path.
    public static func standard(environment: [String: String], executablePath: String) -> ThemeCatalog {
        var directories: [String] = []
        if let config = Config.directory(environment: environment) { directories.append(config + "/themes") }
        if let explicit = environment["WARREN_THEMES_DIR"] { directories.append(explicit) }
        // The executable sits in .build/<config>/ of a checkout (swift run) or in bin/ of an
        // install with share/warren/themes beside it.
        var folder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in ["Themes", "share/warren/themes"] {
                let path = folder.appendingPathComponent(candidate).path
                if FileManager.default.fileExists(atPath: path) { directories.append(path) }
            }
            folder = folder.deletingLastPathComponent()
        }
        return ThemeCatalog(directories: directories)
    }

    /// Theme names available, the default first, then alphabetically.
    public var names: [String] {
        var names: Set<String> = []
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".theme") { names.insert(String(file.dropLast(6))) }
        }
        names.remove("default")
        return ["default"] + names.sorted()
    }

    /// Loads a theme by name (or by path, if it contains `/` or ends in `.theme`).
    /// `nil` with a reason when there is no such theme; a theme with warnings when the file has
    /// problems.
    public func load(_ nameOrPath: String) -> Result<ThemeLoad, ThemeError> {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            return Self.loadFile(nameOrPath)
        }
        for directory in directories {
            let path = directory + "/" + nameOrPath + ".theme"
            if FileManager.default.fileExists(atPath: path) { return Self.loadFile(path) }
        }
        if nameOrPath == "default" { return .success(ThemeLoad(theme: .default, warnings: [])) }
        return .failure(.notFound("no theme '\(nameOrPath)' (themes: \(names.joined(separator: ", ")))"))
    }

    /// Reads one theme file; the theme is named after the file.
    public static func loadFile(_ path: String) -> Result<ThemeLoad, ThemeError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.notFound("cannot read theme file \(path)"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(.unreadable("theme file \(path) is not UTF-8 text"))
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return .success(Theme.parse(text, name: name, origin: path))
    }
}

/// Why a theme could not be used.
public enum ThemeError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .notFound(let text), .unreadable(let text): return text
        }
    }
}
