import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninPKI
import HonninPolicy
import HonninProofing
import HonninStore
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// Everything the HTTP layer needs, wired by the executable (or a test).
public struct HonninServices: Sendable {
    public var apiKeys: APIKeyService
    public var vault: Vault
    /// True when the database answers (for `/readyz`).
    public var readiness: @Sendable () async -> Bool
    public var metrics: PrometheusCollectorRegistry
    public var policy: PolicyEngine
    /// Today's date (`YYYY-MM-DD`) for assessments that give none.
    public var today: @Sendable () -> String
    /// Largest accepted JSON request body, in bytes.
    public var maxBodyBytes: Int
    public var verifications: VerificationService
    public var reviews: ReviewService
    public var records: RecordService
    /// Largest accepted method submission (base64 images), in bytes.
    public var maxSubmissionBytes: Int
    /// Accounts and sessions (`/auth/*`); nil serves no account routes.
    public var authn: AuthnService?
    /// The JPKI verifier for user-certificate login, when a revocation source is configured.
    public var jpkiVerifier: JPKIVerifier?

    public init(
        apiKeys: APIKeyService, vault: Vault, readiness: @escaping @Sendable () async -> Bool,
        metrics: PrometheusCollectorRegistry, policy: PolicyEngine, verifications: VerificationService, reviews: ReviewService,
        records: RecordService,
        today: @escaping @Sendable () -> String = { String(Timestamp.format(Date()).prefix(10)) }, maxBodyBytes: Int = 1 << 20,
        maxSubmissionBytes: Int = 40 << 20
    ) {
        self.apiKeys = apiKeys
        self.vault = vault
        self.readiness = readiness
        self.metrics = metrics
        self.policy = policy
        self.verifications = verifications
        self.reviews = reviews
        self.records = records
        self.today = today
        self.maxBodyBytes = maxBodyBytes
        self.maxSubmissionBytes = maxSubmissionBytes
    }
}

/// The OpenAPI 3.1 document of this API, kept in `Sources/HonninHTTP/Resources/openapi.json`.
public enum OpenAPIDocument {
    public static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { fatalError("openapi.json missing from the HonninHTTP bundle (a packaging error)") }
        return data
    }()
}

/// Builds the router: the one composition of routes and middleware, used by `honnin serve` and
/// by the tests alike.
public func buildRouter(_ services: HonninServices) -> Router<HonninRequestContext> {
    let router = Router(context: HonninRequestContext.self)
    let routeTable = RouteTable()
    // Outermost first: security headers also go on problem responses.
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ProblemMiddleware(routes: { routeTable.routes }, maxBody: services.maxBodyBytes))
    router.add(middleware: MetricsMiddleware())

    router.get("/healthz") { _, _ in
        try JSONBody.response(["status": "ok"])
    }
    router.get("/readyz") { _, _ in
        guard await services.readiness() else { throw Problems.notReady() }
        return try JSONBody.response(["status": "ready"])
    }
    router.get("/metrics") { _, _ in
        var buffer = [UInt8]()
        services.metrics.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
    router.get("/openapi.json") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
    }

    let v1 = router.group("v1").add(middleware: APIKeyMiddleware(service: services.apiKeys))
    v1.get("whoami") { _, context in
        try JSONBody.response(WhoAmI(id: context.apiKey!.id.rawValue, name: context.apiKey!.name))
    }
    VaultRoutes(vault: services.vault, maxBody: services.maxBodyBytes).register(on: v1.group("vault/records"))
    PolicyRoutes(engine: services.policy, maxBody: services.maxBodyBytes, today: services.today).register(on: v1)
    VerificationRoutes(
        service: services.verifications, apiKeys: services.apiKeys, maxBody: services.maxBodyBytes,
        maxSubmission: services.maxSubmissionBytes
    ).register(business: v1, methods: router.group("v1/verifications/{id}/methods"))
    RecordRoutes(service: services.records, maxBody: services.maxBodyBytes).register(on: v1)
    ConsoleRoutes(
        reviews: services.reviews, catalogue: services.policy.catalogue,
        secureCookies: services.verifications.settings.publicURL.lowercased().hasPrefix("https://")
    ).register(on: router)
    PolicyDesignerPage(engine: services.policy, today: services.today).register(on: router)
    HostedPages(service: services.verifications).register(on: router)
    if let authn = services.authn {
        AuthRoutes(
            authn: authn, jpki: services.jpkiVerifier, secureCookies: services.verifications.settings.publicURL.lowercased().hasPrefix("https://"),
            maxBody: services.maxBodyBytes
        ).register(on: router)
        AccountPages(authn: authn).register(on: router)
    }

    routeTable.set(router.routes.map { ($0.path.description, $0.method) })
    return router
}

/// Builds the application (HTTP/1.1 server) around ``buildRouter(_:)``.
public func buildApplication(
    _ services: HonninServices, host: String, port: Int, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(host, port: port), serverName: "honnin"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

struct WhoAmI: Encodable {
    let id: String
    let name: String
}

/// The router's routes, captured after registration so the problem middleware can tell 405
/// from 404.
final class RouteTable: Sendable {
    private let storage = LockedValue<[(path: String, method: HTTPRequest.Method)]>([])
    var routes: [(path: String, method: HTTPRequest.Method)] { storage.get() }
    func set(_ routes: [(path: String, method: HTTPRequest.Method)]) { storage.set(routes) }
}

final class LockedValue<T: Sendable>: Sendable {
    private let mutex: Mutex<T>
    init(_ value: T) { mutex = Mutex(value) }
    func get() -> T { mutex.withLock { $0 } }
    func set(_ value: T) { mutex.withLock { $0 = value } }
}
