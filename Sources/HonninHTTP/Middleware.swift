import Foundation
import HTTPTypes
import HonninCore
import HonninProofing
import HonninStore
import Hummingbird
import Logging

/// Outermost middleware: turns every error into an RFC 9457 problem response, decides 404
/// versus 405 for unmatched requests, and logs each request without personal data (method,
/// route template, status, duration; never the query string, headers or body).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = HonninRequestContext
    /// Known routes (OpenAPI-style templates) and their methods, for 405 answers.
    let routes: @Sendable () -> [(path: String, method: HTTPRequest.Method)]
    let maxBody: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            response = render(problem, request, context)
        } catch let refusal as RequestError {
            // The flow engine's refusals (stable code, ja/en text, the member) as problems.
            response = render(VerificationProblems.problem(refusal), request, context)
        } catch let refusal as ConsoleRefusal {
            response = refusal.response
        } catch let redirect as ConsoleRedirect {
            response = Response(status: redirect.status, headers: [.location: "/console/login", .cacheControl: "no-store"])
        } catch let error as HTTPError {
            var problem = Problems.from(error, maxBody: maxBody)
            if error.status == .notFound {
                let allowed = allowedMethods(for: request.uri.path)
                if !allowed.isEmpty { problem = Problems.methodNotAllowed(allowed: allowed) }
            }
            response = render(problem, request, context)
        } catch let error as HonninError {
            context.logger.error("request failed", metadata: ["error.code": "\(error.code)", "error.reason": "\(error.reason)"])
            response = render(Problems.internalError(), request, context)
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))"])
            response = render(Problems.internalError(), request, context)
        }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.route": "\(context.endpointPath ?? "-")",
                "http.status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.2f", ms))",
            ])
        return response
    }

    func render(_ problem: Problem, _ request: Request, _ context: Context) -> Response {
        // Rendering a problem cannot fail: it is a dictionary of strings and numbers.
        (try? problem.response(from: request, context: context)) ?? Response(status: problem.status)
    }

    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes().filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count else { return false }
            return zip(pattern, segments).allSatisfy { p, s in p.hasPrefix("{") || p == s }
        }.map(\.method)
    }
}

/// Adds headers every response carries.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = HonninRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}

/// Requires `Authorization: Bearer <API key>` (RFC 6750 §2.1) and records the key in the context.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = HonninRequestContext
    let service: APIKeyService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw Problems.missingAPIKey() }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw Problems.invalidAPIKey() }
        guard let key = try await service.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw Problems.invalidAPIKey()
        }
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key.id"] = "\(key.id.rawValue)"
        return try await next(request, context)
    }
}
