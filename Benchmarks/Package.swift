// swift-tools-version:6.1
// Benchmarks live in their own package so the main build stays fast.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "HonninBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Honnin", path: ".."),
        // The ARC runtime interposer (a default trait) is left out: it would put a per-retain cost on
        // our side of every ratio, where OpenSSL and Python run in their own processes. The malloc
        // interposer stays (benchmark 1.38 does not build without it).
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        .executableTarget(
            name: "HonninBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HonninCore", package: "Honnin"),
                .product(name: "HonninStore", package: "Honnin"),
                .product(name: "HonninSQLite", package: "Honnin"),
                .product(name: "HonninPKI", package: "Honnin"),
                .product(name: "HonninTesting", package: "Honnin"),
                .product(name: "HonninWebAuthn", package: "Honnin"),
                .product(name: "HonninCredentials", package: "Honnin"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Benchmarks/HonninBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
