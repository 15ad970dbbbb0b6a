import Foundation
import HonninCore
import HonninPolicy

/// Shared by the methods that take typed attributes: the attributes a flow must collect (the
/// sources of what the business requested: `age_over_20` needs a birth date).
func attributesToCollect(_ flow: VerificationFlow) -> [PersonAttribute] {
    Array(Set(flow.requestedAttributes.map(\.source))).sorted()
}

/// The plan's `fields` member: what to type, with labels in both languages.
func fieldPlan(_ attributes: [PersonAttribute]) -> JSONValue {
    .array(
        attributes.map { a in
            var field: [String: JSONValue] = [
                "name": .string(a.rawValue), "label_ja": .string(a.label.ja), "label_en": .string(a.label.en),
                "required": .bool(true),
            ]
            switch a {
            case .birthdate: field["format"] = .string("date")
            case .gender: field["enum"] = .array(Gender.allCases.map { .string($0.rawValue) })
            case .nameKana: field["format"] = .string("katakana")
            default: field["format"] = .string("text")
            }
            return .object(field)
        })
}

/// Decodes a method's submission, or refuses it with `error` (the shape is wrong; the syntax was
/// already checked).
func decodeSubmission<T: Decodable>(_ type: T.Type, _ body: Data, or error: InputError) throws(InputError) -> T {
    guard let value = try? JSONDecoder().decode(T.self, from: body) else { throw error }
    return value
}

/// Decodes the typed attributes of a submission and validates them against what the flow asks.
func acceptAttributes(_ raw: [String: String]?, for flow: VerificationFlow, today: CalendarDate) throws(InputError) -> PersonAttributes {
    let required = Set(flow.requestedAttributes)
    if raw == nil && !required.isEmpty {
        throw InputError.malformed("Member \"attributes\" is missing.", ja: "「attributes」がありません。", member: "attributes")
    }
    do {
        return try AttributeValidator.attributes(raw ?? [:], required: required, today: today)
    } catch {
        throw InputError(error)
    }
}

func encodeAttributes(_ a: PersonAttributes) -> Redacted<[UInt8]> {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Encoding a struct of strings cannot fail.
    return Redacted(Array((try? encoder.encode(a)) ?? Data("{}".utf8)))
}

func decodeAttributes(_ evidence: Evidence) throws -> PersonAttributes {
    guard let bytes = evidence.parts["attributes"] else { throw HonninError(.invalidInput, "evidence has no attributes part") }
    return try JSONDecoder().decode(PersonAttributes.self, from: Data(bytes.revealed))
}

/// 自己申告 (self-declaration, IAL1): the person types the attributes; nothing confirms them.
/// Validation checks their form only (katakana readings, existing past dates, usable text).
///
/// Submission: `{"attempt": "…", "attributes": {"name": "…", "name_kana": "…", "birthdate":
/// "YYYY-MM-DD", "address": "…", "gender": "female|male|other"}}`, with the members the flow
/// requested.
public struct SelfDeclaredMethod: ProofingMethod {
    public let id = "self-declared"
    public init() {}

    struct Submission: Decodable {
        let attributes: [String: String]?
    }

    public func plan(for flow: VerificationFlow, attempt: MethodAttempt, context: ProofingContext) -> [String: JSONValue] {
        ["kind": .string("form"), "fields": fieldPlan(attributesToCollect(flow))]
    }

    public func accept(_ body: Data, for flow: VerificationFlow, context: ProofingContext) throws(InputError) -> Evidence {
        let submission = try decodeSubmission(
            Submission.self, body,
            or: .malformed("\"attributes\" must be an object of strings.", ja: "「attributes」は文字列のオブジェクトにしてください。", member: "attributes"))
        let attributes = try acceptAttributes(submission.attributes, for: flow, today: context.today)
        return Evidence(parts: ["attributes": encodeAttributes(attributes)], summary: ["method": id])
    }

    public func verify(_ evidence: Evidence, for flow: VerificationFlow, context: ProofingContext) async throws -> ProofingOutcome {
        let attributes = try decodeAttributes(evidence)
        return ProofingOutcome(
            verdict: .verified, attributes: Redacted(attributes), ialReached: 1,
            diagnostics: [Diagnostic(code: "self_asserted", detail: "attributes were declared by the person; nothing confirms them")])
    }
}
