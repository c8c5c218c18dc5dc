// swift-tools-version:6.2
import PackageDescription

/// One set of compiler settings for every target: Swift 6 language mode with complete concurrency checking.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "errand",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "errand", targets: ["errand"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", .upToNextMinor(from: "1.0.2")),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure value types and logic: no I/O.
        .target(name: "ErrandCore", swiftSettings: swiftSettings),
        // Cron and recurrence schedules: parse, describe, next occurrences. Pure; the clock is passed in.
        .target(name: "ErrandSchedule", swiftSettings: swiftSettings),
        // Durable state behind the `Store` capability protocols; engines (SQLite on GRDB today) are Services.
        .target(
            name: "ErrandStore",
            dependencies: [
                "ErrandCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Launching, watching and stopping processes behind the `ProcessLauncher` seam.
        .target(
            name: "ErrandRunner",
            dependencies: [
                "ErrandCore", .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Running on other hosts: another Errand daemon through its API, any host through the system's ssh.
        .target(
            name: "ErrandRemote",
            dependencies: ["ErrandCore", "ErrandRunner"],
            swiftSettings: swiftSettings
        ),
        // The daemon's brain: dispatch, throttling, supervision, fan-out, recovery.
        .target(
            name: "ErrandHost",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandRunner", "ErrandRemote", "ErrandJobs", "ErrandSchedule",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // API tokens: hashed secrets, issuing and checking them, signed-in dashboard browsers.
        .target(
            name: "ErrandTokens",
            dependencies: ["ErrandCore", "ErrandStore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // HTTP: /api/v1, health, OpenAPI document, SSE.
        .target(
            name: "ErrandServer",
            dependencies: [
                "ErrandCore", "ErrandHost", "ErrandStore", "ErrandJobs", "ErrandTokens",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // The web dashboard: server-rendered pages (Mustache templates), one stylesheet, a little JS.
        .target(
            name: "ErrandDashboard",
            dependencies: [
                "ErrandCore", "ErrandHost", "ErrandStore", "ErrandSchedule", "ErrandJobs", "ErrandTokens",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Static")],
            swiftSettings: swiftSettings
        ),
        // Typed HTTP client used by the CLI (and later by remote jobs).
        .target(
            name: "ErrandClient",
            dependencies: [
                "ErrandCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deployable jobs: names, kinds, settings.job, entry points, package unpacking and storage.
        .target(
            name: "ErrandJobs",
            dependencies: [
                "ErrandCore", "ErrandSchedule", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: one typed configuration (options > environment > file > defaults) builds
        // the store, the host, the HTTP router (API + dashboard) and the service group `errand serve` runs.
        .target(
            name: "ErrandDaemon",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandRunner", "ErrandRemote", "ErrandHost", "ErrandJobs", "ErrandTokens",
                "ErrandServer", "ErrandDashboard", "ErrandClient",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executable: argument parsing and output formatting only.
        .executableTarget(
            name: "errand",
            dependencies: [
                "ErrandCore", "ErrandSchedule", "ErrandClient", "ErrandJobs", "ErrandDaemon", "ErrandTokens",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Release-build benchmark of the schedule engine (run by scripts/bench, not by the tests).
        .executableTarget(
            name: "schedule-speed", dependencies: ["ErrandSchedule"], path: "Benchmarks/ScheduleSpeed",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandCoreTests",
            dependencies: ["ErrandCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandScheduleTests",
            dependencies: [
                "ErrandSchedule", "ErrandTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        // Helpers shared by test targets (a zip writer that can build hostile archives, seeded fuzz draws, a manual clock).
        .target(
            name: "ErrandTestSupport",
            dependencies: [
                "ErrandCore", .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ErrandTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandJobsTests",
            dependencies: [
                "ErrandCore", "ErrandJobs", "ErrandTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "ErrandClientTests", dependencies: ["ErrandCore", "ErrandClient"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandRemoteTests", dependencies: ["ErrandCore", "ErrandRunner", "ErrandRemote"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandDaemonTests", dependencies: ["ErrandCore", "ErrandDaemon", "ErrandHost", "ErrandServer"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandStoreTests",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                // An older PostgreSQL schema is built by hand to test its migration.
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ErrandHostTests",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandRunner", "ErrandRemote", "ErrandHost", "ErrandJobs", "ErrandTestSupport",
                // Reaching daemon hosts of a fan-out goes through the HTTP client, as in the daemon.
                "ErrandClient",
                // A trigger in the real SQLite file stands in for a store that fails one write.
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ErrandServerTests",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandHost", "ErrandServer", "ErrandJobs", "ErrandTestSupport", "ErrandTokens",
                "ErrandDaemon",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ErrandDashboardTests",
            dependencies: [
                "ErrandCore", "ErrandStore", "ErrandHost", "ErrandServer", "ErrandDashboard", "ErrandJobs", "ErrandTokens",
                "ErrandDaemon",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // Drives the real `errand` binary against a real daemon and real processes.
        .testTarget(
            name: "ErrandEndToEndTests",
            dependencies: ["ErrandCore", "ErrandStore", "ErrandTestSupport", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: swiftSettings
        ),
    ]
)
