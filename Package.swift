// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "warren",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warren", targets: ["warren"]),
        .library(name: "WarrenWire", targets: ["WarrenWire"]),
        .library(name: "WarrenClient", targets: ["WarrenClient"]),
        .library(name: "WarrenBroker", targets: ["WarrenBroker"]),
        .library(name: "WarrenPerf", targets: ["WarrenPerf"]),
        .library(name: "WarrenMonitor", targets: ["WarrenMonitor"]),
        .library(name: "WarrenDashboard", targets: ["WarrenDashboard"]),
        .library(name: "WarrenManagement", targets: ["WarrenManagement"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        // SHA-256 for password hashes (already in the graph through async-http-client).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // No default traits: the management API needs neither swift-configuration nor full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
    ],
    targets: [
        // AMQP 0-9-1 frames, methods, content headers and field tables. NIOCore only.
        .target(
            name: "WarrenWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Async AMQP 0-9-1 client on SwiftNIO.
        .target(
            name: "WarrenClient",
            dependencies: [
                "WarrenWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The embedded AMQP 0-9-1 broker.
        .target(
            name: "WarrenBroker",
            dependencies: [
                "WarrenWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `warren perf`: a load generator for any AMQP 0-9-1 broker, on WarrenClient.
        .target(
            name: "WarrenPerf",
            dependencies: [
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Sources (management HTTP API, AMQP), the Snapshot and what Warren derives from it, the
        // poller, and the actions: peek, replay, purge, move.
        .target(
            name: "WarrenMonitor",
            dependencies: [
                "WarrenWire",
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The dashboard without a terminal: view state, key bindings, themes, and a pure render
        // of (Snapshot, view state, theme, size) to a grid of cells.
        .target(
            name: "WarrenDashboard",
            dependencies: ["WarrenMonitor"]
        ),
        // libncursesw, with the C globals and macros Swift 6 cannot use wrapped in inline functions.
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"]), .brew(["ncurses"])]
        ),
        // The thin ncurses backend (draws a cell grid, reads keys) and the dashboard's run loop.
        .target(
            name: "WarrenTerminal",
            dependencies: ["CNcursesw", "WarrenDashboard", "WarrenMonitor"]
        ),
        // RabbitMQ's management HTTP API and Prometheus metrics for the embedded broker.
        .target(
            name: "WarrenManagement",
            dependencies: [
                "WarrenBroker",
                "WarrenWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "warren",
            dependencies: [
                "WarrenClient",
                "WarrenBroker",
                "WarrenPerf",
                "WarrenMonitor",
                "WarrenDashboard",
                "WarrenTerminal",
                "WarrenManagement",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The parsers as libFuzzer targets (scripts/fuzz); a plain build replays a corpus.
        .target(name: "CWarrenFuzz"),
        .executableTarget(
            name: "WarrenFuzz",
            dependencies: [
                "CWarrenFuzz",
                "WarrenWire",
                "WarrenBroker",
                "WarrenManagement",
                "WarrenMonitor",
                "WarrenDashboard",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WarrenWireTests",
            dependencies: [
                "WarrenWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WarrenPerfTests",
            dependencies: ["WarrenPerf", "WarrenBroker"]
        ),
        .testTarget(
            name: "WarrenClientTests",
            dependencies: [
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WarrenBrokerTests",
            dependencies: [
                "WarrenBroker",
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The same scenarios against real RabbitMQ and the embedded broker, results compared.
        .testTarget(
            name: "WarrenDifferentialTests",
            dependencies: [
                "WarrenBroker",
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WarrenManagementTests",
            dependencies: [
                "WarrenManagement",
                "WarrenMonitor",
                "WarrenDashboard",
                "WarrenBroker",
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Live tests against a real RabbitMQ node; scripts/test starts one and sets WARREN_RABBITMQ_URL.
        .testTarget(
            name: "WarrenClientIntegrationTests",
            dependencies: [
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WarrenMonitorTests",
            dependencies: [
                "WarrenMonitor",
                "WarrenClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Render snapshots, the reducer, key bindings and themes; no terminal needed.
        .testTarget(
            name: "WarrenDashboardTests",
            dependencies: ["WarrenDashboard", "WarrenMonitor"],
            exclude: ["__Snapshots__"],
            resources: [.copy("Fixtures")]
        ),
        // The real binary in tmux: the demo and `warren watch`; enabled by scripts/test.
        .testTarget(
            name: "WarrenDashboardEndToEndTests",
            dependencies: []
        ),
        // Live monitor tests: a RabbitMQ node, a 3-node cluster, replay faults (on RabbitMQ set up by
        // scripts/test, and on the embedded broker started in the test).
        .testTarget(
            name: "WarrenMonitorIntegrationTests",
            dependencies: [
                "WarrenMonitor",
                "WarrenClient",
                "WarrenBroker",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
