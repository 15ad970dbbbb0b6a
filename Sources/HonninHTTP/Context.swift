import HonninCore
import HonninStore
import Hummingbird
import Logging

/// Per-request context: Hummingbird's core storage plus the authenticated API key, if any.
public struct HonninRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``APIKeyMiddleware`` on `/v1/*` routes.
    public var apiKey: APIKey?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.apiKey = nil
    }

    /// The request body limit is enforced by ``JSONBody`` with the configured value; this is
    /// Hummingbird's own upper bound for any body collected without it.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// The actor string recorded in audit entries for this request.
    var auditActor: String { apiKey.map { "apikey:\($0.id.rawValue)" } ?? "anonymous" }
}
