import Foundation
import HonninPKI
import HonninProofing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Outgoing HTTP POSTs with URLSession, for webhooks and for revocation providers (OCSP, a
/// platform's API): no cookies, no cache, redirects not followed (a redirect is a failed attempt,
/// so nothing lands somewhere that was not configured).
public final class URLSessionHTTPClient: NSObject, WebhookTransport, RevocationHTTPClient, URLSessionTaskDelegate, @unchecked Sendable {
    // `@unchecked`: the session is immutable after init and URLSession is thread-safe.
    private var session: URLSession!

    public override init() {
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.httpCookieAcceptPolicy = .never
        config.httpShouldSetCookies = false
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        session = URLSession(configuration: config, delegate: self, delegateQueue: nil)
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> (
        status: Int, headers: [String: String], body: [UInt8]
    ) {
        guard let u = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: u, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        // Not cancelled with the caller: cancelling a running URLSession task from a Swift task's
        // cancellation handler can deadlock FoundationNetworking on Linux (seen in CI: one thread
        // in URLSession.data(for:) holding the task's status lock, another in
        // URLSessionTask.cancel waiting on the session's queue). The request's own timeout bounds
        // the wait instead.
        let session = self.session!
        let (data, response) = try await Task { try await session.data(for: request) }.value
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let n = name as? String, let v = value as? String { fields[n.lowercased()] = v }
        }
        return (http.statusCode, fields, Array(data))
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> Int {
        let response: (status: Int, headers: [String: String], body: [UInt8]) = try await post(url: url, headers: headers, body: body, timeout: timeout)
        return response.status
    }

    public func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
