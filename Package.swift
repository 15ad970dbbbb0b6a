// swift-tools-version:6.1
// Honnin (本人): a self-hostable digital identity verification server and Swift library.
// Layering: ../shared/design/ARCHITECTURE.md; each target imports only lower layers.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Honnin",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "HonninCore", targets: ["HonninCore"]),
        .library(name: "HonninStore", targets: ["HonninStore"]),
        .library(name: "HonninPolicy", targets: ["HonninPolicy"]),
        .library(name: "HonninPKI", targets: ["HonninPKI"]),
        .library(name: "HonninCards", targets: ["HonninCards"]),
        .library(name: "HonninWebAuthn", targets: ["HonninWebAuthn"]),
        .library(name: "HonninCredentials", targets: ["HonninCredentials"]),
        .library(name: "HonninPCSC", targets: ["HonninPCSC"]),
        .library(name: "HonninProofing", targets: ["HonninProofing"]),
        .library(name: "HonninAuthn", targets: ["HonninAuthn"]),
        .library(name: "HonninSQLite", targets: ["HonninSQLite"]),
        .library(name: "HonninHTTP", targets: ["HonninHTTP"]),
        .executable(name: "honnin", targets: ["honnin"]),
        // Test support (test PKIs, card simulator), for the benchmark package and downstream tests.
        .library(name: "HonninTesting", targets: ["HonninTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Layer 0: foundation values, no I/O.
        .target(
            name: "HonninCore",
            swiftSettings: strict
        ),
        // Layer 1: password hashing (scrypt) and rules with a blocklist, HOTP/TOTP, recovery codes, the QR encoder.
        .target(
            name: "HonninCredentials",
            dependencies: [
                "HonninCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Resources/BLOCKLIST-SOURCE.md"],
            resources: [.copy("Resources/password-blocklist.txt")],
            swiftSettings: strict
        ),
        // Layer 1: X.509 for JPKI (profile, trust anchors, revocation providers) on swift-certificates.
        .target(
            name: "HonninPKI",
            dependencies: [
                "HonninCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/jpki-roots")],
            swiftSettings: strict
        ),
        // Layer 1: WebAuthn Level 3 relying-party checks: CBOR, COSE keys, authenticator data,
        // attestation formats, the FIDO Metadata Service BLOB, the two ceremonies.
        .target(
            name: "HonninWebAuthn",
            dependencies: [
                "HonninCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // Layer 1: ISO 7816 APDUs, the card transport protocol and the JPKI application (no crypto:
        // an iOS app wraps CoreNFC in a CardTransport).
        .target(name: "HonninCards", dependencies: ["HonninCore"], swiftSettings: strict),
        // Layer 2: levels, the method catalogue (data), risk → required levels → ranked methods.
        .target(
            name: "HonninPolicy",
            dependencies: ["HonninCore"],
            resources: [.copy("Resources/catalogue.json"), .copy("Resources/presets")],
            swiftSettings: strict
        ),
        // Layer 2: repository protocols, envelope encryption, audit chain, in-memory implementations.
        .target(
            name: "HonninStore",
            dependencies: [
                "HonninCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Layer 2: the flow engine, the ProofingMethod protocol and one type per method; the image
        // decoding that proves uploads are pictures (Imaging/) has no dependencies.
        .target(
            name: "HonninProofing",
            dependencies: [
                "HonninCore", "HonninPolicy", "HonninStore", "HonninCredentials", "HonninPKI", "HonninAuthn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        // Layer 2: accounts, authenticators, sessions whose AAL is derived from the factors used, step-up.
        .target(
            name: "HonninAuthn",
            dependencies: [
                "HonninCore", "HonninStore", "HonninCredentials", "HonninWebAuthn", "HonninPKI",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        // Layer 3: adapters.
        .target(
            name: "HonninSQLite",
            dependencies: [
                "HonninCore", "HonninStore", "HonninPolicy", "HonninProofing", "HonninAuthn",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HonninHTTP",
            dependencies: [
                "HonninCore", "HonninStore", "HonninPolicy", "HonninProofing", "HonninPKI", "HonninAuthn", "HonninWebAuthn",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/hosted"), .copy("Resources/account"), .copy("Resources/shared")],
            swiftSettings: strict
        ),
        // Layer 3: card readers through pcsc-lite, loaded at run time (no -dev package needed to build).
        .target(name: "HonninPCSC", dependencies: ["HonninCore", "HonninCards"], swiftSettings: strict),
        // Layer 4: configuration, wiring, subcommands.
        .executableTarget(
            name: "honnin",
            dependencies: [
                "HonninCore", "HonninStore", "HonninSQLite", "HonninHTTP", "HonninPolicy", "HonninProofing", "HonninPKI", "HonninCards",
                "HonninAuthn", "HonninWebAuthn", .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                "HonninPCSC", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Test support only: never linked by the executable.
        .target(
            name: "HonninTesting",
            dependencies: [
                "HonninCore", "HonninStore", "HonninPolicy", "HonninProofing", "HonninSQLite", "HonninCredentials", "HonninPKI", "HonninCards",
                "HonninAuthn", "HonninWebAuthn",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HonninCoreTests", dependencies: ["HonninCore", "HonninTesting"], swiftSettings: strict),
        .testTarget(
            name: "HonninProofingTests",
            dependencies: [
                "HonninProofing", "HonninPolicy", "HonninCore", "HonninStore", "HonninSQLite", "HonninTesting", "HonninPKI",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninPKITests",
            dependencies: [
                "HonninPKI", "HonninCore", "HonninTesting", "HonninStore", "HonninHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninCardsTests",
            dependencies: [
                "HonninCore", "HonninCards", "HonninPCSC", "HonninTesting",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninWebAuthnTests",
            dependencies: [
                "HonninWebAuthn", "HonninCore", "HonninTesting",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninCredentialsTests",
            dependencies: ["HonninCredentials", "HonninCore", "HonninTesting", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninAuthnTests",
            dependencies: [
                "HonninAuthn", "HonninCore", "HonninStore", "HonninCredentials", "HonninWebAuthn", "HonninTesting", "HonninPKI",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HonninPolicyTests", dependencies: ["HonninPolicy", "HonninCore"], swiftSettings: strict),
        .testTarget(
            name: "HonninStoreTests",
            dependencies: ["HonninStore", "HonninTesting", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninSQLiteTests",
            dependencies: ["HonninSQLite", "HonninAuthn", "HonninStore", "HonninTesting", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("MigrationFixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninHTTPTests",
            dependencies: [
                "HonninHTTP", "HonninSQLite", "HonninStore", "HonninPolicy", "HonninProofing", "HonninTesting", "HonninCredentials", "HonninAuthn",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HonninCLITests",
            dependencies: [
                "HonninCore", "HonninTesting", "honnin", "HonninCards", "HonninHTTP", "HonninPKI", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
