import Foundation
import HonninCore
import HonninPolicy

/// What a method needs to run: time, randomness, the catalogue — injected, never global.
public struct ProofingContext: Sendable {
    public let clock: any WallClock
    public let random: any RandomSource
    public let catalogue: MethodCatalogue

    public init(clock: any WallClock, random: any RandomSource, catalogue: MethodCatalogue) {
        self.clock = clock
        self.random = random
        self.catalogue = catalogue
    }

    /// Today's date in Japan, the calendar ages are counted on.
    public var today: CalendarDate { CalendarDate(inJapanAt: clock.now()) }
}

/// What `start` returns: the single-use attempt handle and the method's own plan (the fields to
/// fill, the images to capture, the challenge to sign).
public struct MethodPlan: Sendable {
    public let method: String
    public let attempt: MethodAttempt
    public let plan: [String: JSONValue]

    public init(method: String, attempt: MethodAttempt, plan: [String: JSONValue]) {
        self.method = method
        self.attempt = attempt
        self.plan = plan
    }
}

/// Evidence accepted by a method: named byte parts (personal data, sealed in the vault as they
/// are) and a non-personal summary (document type, image sizes) that may be shown in queues
/// and written to the audit log.
public struct Evidence: Sendable {
    public let parts: [String: Redacted<[UInt8]>]
    public let summary: [String: String]

    public init(parts: [String: Redacted<[UInt8]>], summary: [String: String]) {
        self.parts = parts
        self.summary = summary
    }
}

/// A method's decision.
public enum Verdict: Sendable, Equatable {
    /// The evidence proves the attributes to the method's level.
    case verified
    /// A person must look (document upload): the flow goes to the reviewer queue.
    case needsReview
    /// Definitely not (revoked certificate, bad signature…): stable code.
    case failed(String)
    /// Correctable (expired challenge…): the person may start again.
    case retry(String)
}

/// One finding of a method, for operators and reviewers (never personal data).
public struct Diagnostic: Sendable, Equatable, Codable {
    public let code: String
    public let detail: String
    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// The outcome of verifying evidence.
public struct ProofingOutcome: Sendable {
    public let verdict: Verdict
    /// Attributes the evidence established (or, for `needsReview`, that the person typed and a
    /// reviewer will compare).
    public let attributes: Redacted<PersonAttributes>?
    /// The IAL reached when verified.
    public let ialReached: Int?
    public let diagnostics: [Diagnostic]
    /// Method facts for the verification record only (sealed; e.g. a certificate's issuer and
    /// serial, the revocation evidence).
    public let details: [String: String]

    public init(
        verdict: Verdict, attributes: Redacted<PersonAttributes>?, ialReached: Int?, diagnostics: [Diagnostic] = [], details: [String: String] = [:]
    ) {
        self.verdict = verdict
        self.attributes = attributes
        self.ialReached = ialReached
        self.diagnostics = diagnostics
        self.details = details
    }
}

/// Why a submission was refused before anything was stored: a stable code, bilingual text,
/// and the JSON member it concerns, if any.
public struct InputError: Error, Sendable, Equatable {
    public let code: String
    public let message: LocalizedMessage
    public let member: String?

    public init(code: String, message: LocalizedMessage, member: String? = nil) {
        self.code = code
        self.message = message
        self.member = member
    }

    public init(_ e: AttributeError) {
        self.init(code: "attribute_\(e.code.rawValue)", message: e.message, member: "attributes.\(e.attribute.rawValue)")
    }

    static func malformed(_ en: String, ja: String, member: String? = nil) -> InputError {
        InputError(code: "malformed_evidence", message: LocalizedMessage(id: "evidence.malformed", ja: ja, en: en), member: member)
    }
}

/// A proofing method (ARCHITECTURE.md, "How a verification flows"). Implementations are value
/// types holding their configuration; state lives in the flow.
///
/// 1. `start` makes the plan the client follows, with a single-use attempt.
/// 2. `accept` checks the submission's form (every parser here rejects malformed input with an
///    ``InputError``); nothing is stored when it throws.
/// 3. The flow engine seals the accepted evidence in the vault and acknowledges it.
/// 4. `verify` runs the real verification on the stored evidence and returns an outcome. It may
///    run again after a crash, so it must decide the same way on the same evidence.
public protocol ProofingMethod: Sendable {
    /// The catalogue id (`self-declared`, `document-upload`, …).
    var id: String { get }
    func plan(for flow: VerificationFlow, attempt: MethodAttempt, context: ProofingContext) -> [String: JSONValue]
    func accept(_ body: Data, for flow: VerificationFlow, context: ProofingContext) throws(InputError) -> Evidence
    func verify(_ evidence: Evidence, for flow: VerificationFlow, context: ProofingContext) async throws -> ProofingOutcome
}

/// Implemented methods by catalogue id. The registry refuses a method the catalogue does not
/// list, so every method the API offers has its catalogue row (levels, documents, times).
public struct ProofingRegistry: Sendable {
    public let methods: [String: any ProofingMethod]

    public init(_ methods: [any ProofingMethod], catalogue: MethodCatalogue) throws {
        var byID: [String: any ProofingMethod] = [:]
        for m in methods {
            guard catalogue.proofing.contains(where: { $0.id == m.id }) else {
                throw HonninError(.configuration, "proofing method \(m.id) is not in the method catalogue")
            }
            byID[m.id] = m
        }
        self.methods = byID
    }

    public subscript(id: String) -> (any ProofingMethod)? { methods[id] }

    /// The methods this server implements. `jpki` adds 公的個人認証 (it needs trust anchors and a
    /// revocation source, so it is offered only when configured).
    public static func standard(catalogue: MethodCatalogue, jpki: JPKISignatureMethod? = nil) throws -> ProofingRegistry {
        try ProofingRegistry([SelfDeclaredMethod(), DocumentUploadMethod()] + (jpki.map { [$0] } ?? []), catalogue: catalogue)
    }
}
