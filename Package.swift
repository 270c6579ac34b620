// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "cctv-out",
    // Linux only: Debian 12 is what is built and tested, and raw/datagram ICMP sockets, iptables,
    // setpriv (PR_SET_PDEATHSIG) and Glibc are used directly, so no Apple platform is listed.
    products: [
        .executable(name: "cctv-out", targets: ["CCTVOutCLI"]),
        // The benchmarks (and the simulated cameras they use), not linked into the shipping binary.
        .executable(name: "cctv-out-bench", targets: ["CCTVOutBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.23.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        // Declared because Gateway imports HTTPTypes itself (Hummingbird's request and response types).
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    ],
    targets: [
        // libmosquitto (Debian: libmosquitto-dev). Only MQTTBus imports it.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // jemalloc (Debian: libjemalloc-dev) as every process's malloc; ServiceRuntime's HeapAllocator
        // reads and purges it (why and the numbers: Sources/ServiceRuntime/Lifecycle/HeapAllocator.swift).
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        // libcurl (Debian: libcurl4-openssl-dev) for email over SMTP. Only the notifier's EmailChannel imports it.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Async Swift MQTT client over libmosquitto.
        .target(
            name: "MQTTBus",
            dependencies: [
                "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Topics, the versioned envelope and every payload: the contract between services.
        .target(name: "CCTVContract", swiftSettings: swiftSettings),
        // What every service shares: configuration, logging/metrics bootstrap, storage (SQLite or PostgreSQL), bus wiring.
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "MQTTBus", "CCTVContract", "CJemalloc",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: [
                "ServiceRuntime", "CCTVContract", "MQTTBus",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // CSV / XLSX fleet files: reading (CP949/UTF-8/UTF-16, RFC 4180, guarded XLSX), writing, row validation.
        .target(
            name: "FleetFile",
            dependencies: ["CCTVContract", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        // Fleet-scale ICMP echo engine: one socket per address family, raw or datagram.
        .target(name: "ICMPEngine", swiftSettings: swiftSettings),
        // Pure HLS analysis (RFC 8216 playlists, live-stream tracking, segment inspection); Foundation only.
        .target(name: "HLSCore", swiftSettings: swiftSettings),
        .target(
            name: "Prober",
            dependencies: [
                "ServiceRuntime", "ICMPEngine", "HLSCore", "CCTVContract", "MQTTBus",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // SHA-1 for WS-UsernameToken's PasswordDigest (ONVIF).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Simulated HLS cameras on loopback (healthy and faulty) for the HLS benchmark and the prober's tests.
        .target(
            name: "HLSSimulator",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Resources/segment.ts")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Issues",
            dependencies: [
                "ServiceRuntime", "CCTVContract", "MQTTBus",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Notifier",
            dependencies: [
                "ServiceRuntime", "CCurl", "CCTVContract", "MQTTBus",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "ServiceRuntime", "FleetFile", "CCTVContract", "MQTTBus",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Dashboard")],
            swiftSettings: swiftSettings
        ),
        // Any subset of the services wired from typed configuration: serve, tests and benchmarks.
        .target(
            name: "Installation",
            dependencies: [
                "ServiceRuntime", "Registry", "Prober", "Issues", "Notifier", "Gateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CCTVOutCLI",
            dependencies: [
                "Installation", "ServiceRuntime", "Registry", "Prober", "Issues", "Notifier", "Gateway", "CCTVContract",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/cctv-out",
            swiftSettings: swiftSettings
        ),
        // `cctv-out-bench`: the rerunnable benchmarks behind the README's numbers.
        .executableTarget(
            name: "CCTVOutBench",
            dependencies: [
                "ServiceRuntime", "MQTTBus", "CCTVContract", "Prober", "Issues", "Notifier", "Gateway", "ICMPEngine", "HLSCore", "HLSSimulator", "FleetFile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/cctv-out-bench",
            swiftSettings: swiftSettings
        ),
        // Test fixtures shared by the test targets: a real mosquitto on a free port, temp dirs, HTTP sinks.
        .target(
            name: "TestSupport",
            dependencies: [
                "MQTTBus", "ServiceRuntime", "Installation", "Prober", "Gateway",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "HLSCoreTests", dependencies: ["HLSCore", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "FleetFileTests",
            dependencies: ["FleetFile", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            exclude: ["Scripts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ICMPEngineTests", dependencies: ["ICMPEngine", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ServiceRuntimeTests", dependencies: ["ServiceRuntime", "CJemalloc", "TestSupport", "CCTVContract", "MQTTBus", .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: swiftSettings),
        .testTarget(
            name: "MQTTBusTests",
            dependencies: [
                "MQTTBus", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CCTVContractTests", dependencies: ["CCTVContract", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Registry", "FleetFile", "TestSupport", "CCTVContract", "ServiceRuntime",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProberTests",
            dependencies: [
                "Prober", "HLSCore", "HLSSimulator", "TestSupport", "CCTVContract", "MQTTBus", "ServiceRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Scripts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IssuesTests",
            dependencies: [
                "Issues", "TestSupport", "CCTVContract", "MQTTBus", "ServiceRuntime", "Installation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NotifierTests",
            dependencies: [
                "Notifier", "TestSupport", "CCTVContract", "MQTTBus", "ServiceRuntime", "Installation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Registry", "FleetFile", "TestSupport", "HLSCore", "ICMPEngine", "Prober", "CCTVContract", "MQTTBus", "ServiceRuntime", "Installation",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The dashboard in Debian's Chromium, driven by Playwright (PyPI) against the whole product on loopback.
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "TestSupport", "Installation", "CCTVContract",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Driver"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport", "Installation", "Registry", "Prober", "Issues", "Notifier", "Gateway", "FleetFile", "CCTVContract", "MQTTBus", "ServiceRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Scripts"],
            swiftSettings: swiftSettings
        ),
    ]
)
