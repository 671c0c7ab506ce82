import CWarrenFuzz
import Foundation

/// `warren-fuzz TARGET FILE...` replays a corpus or a crash through a target. Built by
/// scripts/fuzz (coverage instrumentation, AddressSanitizer, libFuzzer linked, `-D FUZZING`), the
/// same program is libFuzzer: its arguments are libFuzzer's and $WARREN_FUZZ_TARGET names the target.
@main
struct WarrenFuzz {
    static func main() {
        #if FUZZING
        guard let target = FuzzTargets.all[ProcessInfo.processInfo.environment["WARREN_FUZZ_TARGET"] ?? ""] else {
            usage()
        }
        chosen = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
            LLVMFuzzerRunDriver(&argc, argvPointer) { data, size in
                WarrenFuzz.chosen?(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
                return 0
            }
        }
        exit(status)
        #else
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTargets.all[name] else { usage() }
        var count = 0
        for path in arguments.dropFirst() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted().map { path + "/" + $0 }
                ?? [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target($0) }
                count += 1
            }
        }
        print("warren-fuzz \(name): \(count) inputs, no failure")
        #endif
    }

    /// The target libFuzzer calls: set once before it starts, read only after.
    nonisolated(unsafe) static var chosen: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    static func usage() -> Never {
        let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
        FileHandle.standardError.write(Data("usage: warren-fuzz TARGET FILE... (or, fuzzing, WARREN_FUZZ_TARGET=TARGET); targets: \(names)\n".utf8))
        exit(64)
    }
}
