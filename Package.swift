// swift-tools-version:6.1
import PackageDescription

// Strictness as in Hummingbird: Swift 6 mode plus the upcoming features that keep imports honest.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "HookSync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hooksync", targets: ["hooksync"]),
        .executable(name: "hooksync-sim", targets: ["hooksync-sim"]),
        .library(name: "HookSyncCore", targets: ["HookSyncCore"]),
        .library(name: "HookSyncSQLite", targets: ["HookSyncSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // The domain: envelopes, queue semantics as a protocol, retry policy. No I/O, no dependencies.
        .target(name: "HookSyncCore", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),

        // hooksync.yaml: parsing, ${ENV} interpolation, validation with errors that name the key.
        .target(
            name: "HookSyncConfig",
            dependencies: ["HookSyncCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),

        // The SQLite backend of QueueStore. migrations/*.sql are compiled in by EmbedMigrationsPlugin.
        .target(
            name: "HookSyncSQLite",
            dependencies: ["HookSyncCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrationsPlugin"]
        ),

        // Each provider's wire formats: its webhooks in, and its API (fetch, listings, rate-limit signals) out.
        .target(
            name: "HookSyncProviders",
            dependencies: [
                "HookSyncCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),

        // The worker: claim, fetch through the provider's API, write to the sink; backoff, rate limits, circuits.
        .target(
            name: "HookSyncWorker",
            dependencies: [
                "HookSyncCore", "HookSyncConfig", "HookSyncProviders", "HookSyncSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // A faithful fake of the four providers' APIs (and their webhooks), for tests, benchmarks and the demo.
        .target(
            name: "HookSyncSimulator",
            dependencies: [
                "HookSyncCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hooksync-sim",
            dependencies: [
                "HookSyncSimulator", "HookSyncCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The HTTP receiver: authenticate, parse, commit (group commit), then answer; plus the admin listener.
        .target(
            name: "HookSyncIngest",
            dependencies: [
                "HookSyncCore", "HookSyncConfig", "HookSyncProviders", "HookSyncApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // What the commands do: open the store a config names, render status and dead letters.
        .target(
            name: "HookSyncApp",
            dependencies: ["HookSyncCore", "HookSyncConfig", "HookSyncSQLite"],
            swiftSettings: swiftSettings
        ),

        // The command line: argument parsing and wiring only.
        .executableTarget(
            name: "hooksync",
            dependencies: [
                "HookSyncCore", "HookSyncConfig", "HookSyncSQLite", "HookSyncApp", "HookSyncIngest", "HookSyncWorker", "HookSyncProviders",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Build-time tool and plugin that turn migrations/*.sql into a Swift source file.
        .executableTarget(name: "EmbedMigrations", swiftSettings: swiftSettings),
        .plugin(name: "EmbedMigrationsPlugin", capability: .buildTool(), dependencies: ["EmbedMigrations"]),

        // A process that enqueues or claims against a shared database file; driven by the multi-process tests.
        .executableTarget(
            name: "QueueStress",
            dependencies: ["HookSyncCore", "HookSyncSQLite"],
            swiftSettings: swiftSettings
        ),

        // scripts/bench-queue, bench-worker and bench-reconcile run this in a release build.
        .executableTarget(
            name: "HookSyncBench",
            dependencies: [
                "HookSyncCore", "HookSyncSQLite", "HookSyncProviders",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers the test targets share: child processes, build product paths, temporary folders.
        .target(
            name: "HookSyncTestSupport",
            dependencies: ["HookSyncCore", "HookSyncSQLite", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/HookSyncTestSupport",
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "HookSyncCoreTests",
            dependencies: ["HookSyncCore", "HookSyncTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncConfigTests",
            dependencies: ["HookSyncConfig", "HookSyncCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncSQLiteTests",
            dependencies: ["HookSyncSQLite", "HookSyncCore", "HookSyncTestSupport", "QueueStress", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncProvidersTests",
            dependencies: ["HookSyncProviders", "HookSyncCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncIngestTests",
            dependencies: [
                "HookSyncIngest", "HookSyncCore", "HookSyncConfig", "HookSyncSQLite", "HookSyncProviders",
                "HookSyncTestSupport", "hooksync",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncSimulatorTests",
            dependencies: [
                "HookSyncSimulator", "HookSyncCore", "HookSyncProviders", "HookSyncTestSupport", "hooksync-sim",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncWorkerTests",
            dependencies: [
                "HookSyncWorker", "HookSyncCore", "HookSyncConfig", "HookSyncSQLite", "HookSyncProviders",
                "HookSyncSimulator", "HookSyncTestSupport", "hooksync", "hooksync-sim",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The product as separate processes under faults: simulator, ingest, worker, resync.
        .testTarget(
            name: "HookSyncEndToEndTests",
            dependencies: [
                "HookSyncTestSupport", "hooksync", "hooksync-sim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookSyncCLITests",
            dependencies: ["HookSyncCore", "HookSyncSQLite", "HookSyncApp", "HookSyncTestSupport", "hooksync"],
            swiftSettings: swiftSettings
        ),
    ]
)
