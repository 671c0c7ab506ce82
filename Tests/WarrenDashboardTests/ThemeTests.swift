import Foundation
import Testing
import WarrenDashboard

@Suite struct ThemeTests {
    static let themesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes").path

    static var themeFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: themesFolder)) ?? []).filter { $0.hasSuffix(".theme") }.sorted()
    }

    @Test func thereAreAtLeastFourThemes() {
        #expect(Self.themeFiles.count >= 4)
        #expect(Self.themeFiles.contains("default.theme"))
    }

    @Test(arguments: themeFiles)
    func everyThemeFileLoadsCompletely(_ file: String) throws {
        let load = try ThemeCatalog.loadFile(Self.themesFolder + "/" + file).get()
        #expect(load.warnings.isEmpty, "\(file): \(load.warnings)")
        #expect(load.theme.colors.count == ThemeKey.allCases.count)
    }

    @Test func theDefaultFileMatchesTheCompiledInDefault() throws {
        let load = try ThemeCatalog.loadFile(Self.themesFolder + "/default.theme").get()
        #expect(load.theme.colors == Theme.default.colors)
    }

    @Test func aBrokenThemeWarnsAndFallsBack() {
        let text = """
            # half a theme
            theme[main_fg]="#112233"
            theme[sparkle]="#ffffff"
            theme[alpha]="green"
            this is not a theme line
            """
        let load = Theme.parse(text, name: "broken", origin: "broken.theme")
        #expect(load.theme.color(.mainForeground) == RGB(0x11, 0x22, 0x33))
        #expect(load.theme.color(.alpha) == Theme.default.color(.alpha))
        #expect(load.theme.color(.delta) == Theme.default.color(.delta))
        #expect(load.warnings.contains("broken.theme:3: unknown key 'sparkle', ignored"))
        #expect(load.warnings.contains { $0.hasPrefix("broken.theme:4:") && $0.contains("not #rrggbb") })
        #expect(load.warnings.contains { $0.hasPrefix("broken.theme:5:") })
        #expect(load.warnings.contains { $0.contains("no main_bg") })
    }

    @Test func binaryAndMissingFilesAreErrorsNotCrashes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("warren-\(UUID()).theme").path
        try Data([0xff, 0xfe, 0x00, 0x81]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard case .failure(let error) = ThemeCatalog.loadFile(path) else { Issue.record("loaded binary"); return }
        #expect(error.description.contains("not UTF-8"))
        guard case .failure = ThemeCatalog.loadFile("/nonexistent/x.theme") else { Issue.record("loaded nothing"); return }
    }

    @Test func catalogFindsThemesByName() throws {
        let catalog = ThemeCatalog(directories: [Self.themesFolder])
        #expect(catalog.names.first == "default")
        #expect(Set(catalog.names).isSuperset(of: ["light", "high-contrast", "burrow"]))
        #expect(try catalog.load("light").get().theme.name == "light")
        guard case .failure(let error) = catalog.load("nope") else { Issue.record("found nope"); return }
        #expect(error.description.contains("no theme 'nope'"))
        #expect(try ThemeCatalog(directories: []).load("default").get().theme == .default)
    }

    @Test func colourFallbacks() {
        #expect(ColorMapping.xterm256(RGB(0, 0, 0)) == 16)
        #expect(ColorMapping.xterm256(RGB(255, 255, 255)) == 231)
        #expect(ColorMapping.xterm256(RGB(0x80, 0x80, 0x80)) == 244)
        #expect(ColorMapping.xterm256(RGB(0xff, 0, 0)) == 196)
        #expect(ColorMapping.ansi(RGB(0xff, 0x10, 0x10)) == 9)
        #expect(ColorMapping.index(RGB(0, 0xcd, 0), colors: 8) == 2)
        #expect(RGB(hex: "#abc") == RGB(0xaa, 0xbb, 0xcc))
        #expect(RGB(hex: "abcdef") == nil)
    }
}

@Suite struct KeysAndConfigTests {
    static let keysDocument = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/keys.md")

    /// docs/keys.md is generated from the key table; RECORD_SNAPSHOTS=1 rewrites it.
    @Test func keysDocumentIsCurrent() throws {
        let generated = KeyBindings.markdown()
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.keysDocument.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try generated.write(to: Self.keysDocument, atomically: true, encoding: .utf8)
        }
        let checkedIn = try String(contentsOf: Self.keysDocument, encoding: .utf8)
        #expect(checkedIn == generated, "docs/keys.md is stale: RECORD_SNAPSHOTS=1 swift test --filter KeysAndConfig")
    }

    @Test func everyKeyIsBoundOnce() {
        var seen: [Key: Command] = [:]
        for binding in KeyBindings.table {
            for key in binding.keys {
                #expect(seen[key] == nil, "\(key.label) bound twice")
                seen[key] = binding.command
            }
        }
        for command in Command.allCases {
            #expect(KeyBindings.table.contains { $0.command == command }, "\(command) has no key")
        }
    }

    @Test func configFileWithNamedBrokers() {
        let (config, warnings) = Config.parse("""
            # Warren config
            theme = light
            broker = prod

            [broker prod]
            management = https://ops:secret@rabbit.example.com:15672/
            amqp = amqps://ops:secret@rabbit.example.com:5671/
            readonly = true

            [broker local]
            management = http://127.0.0.1:15672/
            colour = red
            [cluster x]
            """, origin: "config")
        #expect(config.theme == "light")
        #expect(config.defaultBroker == "prod")
        #expect(config.broker("prod")?.readonly == true)
        #expect(config.broker("prod")?.amqp == "amqps://ops:secret@rabbit.example.com:5671/")
        #expect(config.broker("local")?.management == "http://127.0.0.1:15672/")
        #expect(warnings == ["config:12: unknown broker key 'colour'",
                             "config:13: unknown section [cluster x], expected [broker NAME] or [alerts]"])
    }
}
