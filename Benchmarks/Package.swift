// swift-tools-version: 6.1
// Benchmarks for the Warren wire layer, kept out of the main package so that its build and tests
// do not depend on package-benchmark. Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "warren-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "warren", path: ".."),
        .package(
            url: "https://github.com/ordo-one/benchmark.git",
            exact: "1.38.1",
            traits: ["MallocInterposer"]
        ),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WarrenWire", package: "warren"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // GET /api/queues with 10,000 queues while AMQP traffic runs (a plain executable, not a
        // package-benchmark benchmark: it measures wall-clock latency of HTTP requests).
        .executableTarget(
            name: "ManagementBench",
            dependencies: [
                .product(name: "WarrenBroker", package: "warren"),
                .product(name: "WarrenClient", package: "warren"),
                .product(name: "WarrenManagement", package: "warren"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/ManagementBench"
        ),
        // The same workloads as a plain loop, for profilers (valgrind --tool=callgrind, perf).
        .executableTarget(
            name: "WireProfile",
            dependencies: [
                .product(name: "WarrenWire", package: "warren"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/WireProfile"
        ),
    ]
)
