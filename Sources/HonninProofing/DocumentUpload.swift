import Foundation
import HonninCore
import HonninPolicy

/// The sides of each document a person photographs, and what a reviewer checks on it.
///
/// The My Number Card is photographed on its **front only**: its back carries the 個人番号,
/// which a business that is not a 個人番号関係事務実施者 must not collect (番号法 第20条), so a
/// back image is refused outright, never stored.
public struct DocumentProfile: Sendable {
    public struct Side: Sendable {
        public let id: String
        public let label: LocalizedMessage
        public let required: Bool
    }
    public struct CheckItem: Sendable, Codable, Equatable {
        public let id: String
        public let ja: String
        public let en: String
    }

    public let id: String
    public let sides: [Side]
    /// The reviewer's checklist for this document (all items must be ticked to approve).
    public let checklist: [CheckItem]
    /// A document number must be recorded when approving (犯収法施行規則 第20条第1項第7号 asks
    /// for the document's name and number where the law applies).
    public let recordsNumber: Bool

    static let front = Side(id: "front", label: LocalizedMessage(id: "side.front", ja: "表面", en: "Front"), required: true)
    static let back = Side(id: "back", label: LocalizedMessage(id: "side.back", ja: "裏面", en: "Back"), required: true)
    static let photoPage = Side(
        id: "front", label: LocalizedMessage(id: "side.photo_page", ja: "顔写真のページ", en: "Photo page"), required: true)

    static let common: [CheckItem] = [
        CheckItem(id: "genuine", ja: "本物の書類の撮影であり、画面やコピーの撮影ではない", en: "A photo of the real document, not of a screen or a copy"),
        CheckItem(id: "legible", ja: "文字と写真が判読できる（ぼけ・反射・切れがない）", en: "Text and photo are legible (no blur, glare or cropping)"),
        CheckItem(id: "valid", ja: "有効期限内である", en: "Within its validity period"),
        CheckItem(id: "matches", ja: "入力された属性が書類の記載と一致する", en: "The typed attributes match the document"),
        CheckItem(id: "untampered", ja: "改ざん・加工の形跡がない", en: "No sign of tampering or editing"),
    ]

    public static let all: [String: DocumentProfile] = [
        "drivers-license": DocumentProfile(
            id: "drivers-license", sides: [front, back],
            checklist: common + [CheckItem(id: "back_address", ja: "裏面の備考欄（住所変更）も確認した", en: "The back's remarks (address changes) were checked")],
            recordsNumber: true),
        "my-number-card": DocumentProfile(
            id: "my-number-card", sides: [front],
            checklist: common + [CheckItem(id: "no_individual_number", ja: "個人番号が写っていない", en: "No Individual Number is visible")],
            recordsNumber: false),
        "residence-card": DocumentProfile(
            id: "residence-card", sides: [front, back],
            checklist: common + [CheckItem(id: "back_address", ja: "裏面の住居地記載欄も確認した", en: "The back's address entries were checked")],
            recordsNumber: true),
        "passport": DocumentProfile(id: "passport", sides: [photoPage], checklist: common, recordsNumber: true),
        "health-insurance-card": DocumentProfile(
            id: "health-insurance-card", sides: [front, back],
            checklist: common + [
                CheckItem(id: "insurer_number_masked", ja: "保険者番号・被保険者等記号番号は記録しない", en: "Insurer and insured numbers are not recorded")
            ],
            recordsNumber: false),
    ]
}

/// 本人確認書類のアップロード (document upload, IAL2 after human review): photos of an
/// identity document's sides and the attributes the person typed, which a reviewer compares.
///
/// Each image is decoded in full to prove it is a JPEG or PNG picture (``ImageSanitizer``),
/// limited in size, and re-assembled without metadata (EXIF with GPS, XMP, comments) before it
/// is sealed in the vault.
///
/// Submission: `{"attempt": "…", "document_type": "drivers-license", "images": {"front":
/// "<base64>", "back": "<base64>"}, "attributes": {…}}`.
public struct DocumentUploadMethod: ProofingMethod {
    public let id = "document-upload"
    public let limits: ImageLimits

    public init(limits: ImageLimits = .default) { self.limits = limits }

    struct Submission: Decodable {
        let document_type: String?
        let images: [String: String]?
        let attributes: [String: String]?
    }

    func documents(_ context: ProofingContext) -> [String] {
        context.catalogue.proofing.first { $0.id == id }?.documents.filter { DocumentProfile.all[$0] != nil } ?? []
    }

    public func plan(for flow: VerificationFlow, attempt: MethodAttempt, context: ProofingContext) -> [String: JSONValue] {
        let docs: [JSONValue] = documents(context).compactMap { docID in
            guard let profile = DocumentProfile.all[docID], let doc = context.catalogue.documents.first(where: { $0.id == docID }) else {
                return nil
            }
            return .object([
                "id": .string(docID), "label_ja": .string(doc.ja), "label_en": .string(doc.en),
                "sides": .array(
                    profile.sides.map {
                        .object(["id": .string($0.id), "label_ja": .string($0.label.ja), "label_en": .string($0.label.en), "required": .bool($0.required)])
                    }),
            ])
        }
        return [
            "kind": .string("capture"), "documents": .array(docs), "fields": fieldPlan(attributesToCollect(flow)),
            "accept": .array([.string("image/jpeg"), .string("image/png")]), "max_image_bytes": .number(Double(limits.maxBytes)),
            "min_dimension": .number(Double(limits.minDimension)),
        ]
    }

    public func accept(_ body: Data, for flow: VerificationFlow, context: ProofingContext) throws(InputError) -> Evidence {
        let submission = try decodeSubmission(
            Submission.self, body,
            or: .malformed(
                "document_type, images and attributes must be strings or objects of strings.", ja: "document_type・images・attributes の形式が正しくありません。"))
        // 1. The document type must be one the catalogue lists for upload.
        guard let docID = submission.document_type else {
            throw InputError.malformed("Member \"document_type\" is missing.", ja: "「document_type」がありません。", member: "document_type")
        }
        guard documents(context).contains(docID), let profile = DocumentProfile.all[docID] else {
            throw InputError(
                code: "unsupported_document",
                message: LocalizedMessage(id: "evidence.unsupported_document", ja: "この書類は使えません。", en: "This document cannot be used."),
                member: "document_type")
        }
        let images = submission.images ?? [:]
        // 2. Never accept the back of a My Number Card, nor any side the document does not have.
        let sideIDs = Set(profile.sides.map(\.id))
        if let extra = images.keys.sorted().first(where: { !sideIDs.contains($0) }) {
            if docID == "my-number-card" && extra == "back" {
                throw InputError(
                    code: "my_number_back_refused",
                    message: LocalizedMessage(
                        id: "evidence.my_number_back", ja: "マイナンバーカードの裏面（個人番号）は送らないでください。",
                        en: "Do not send the back of the My Number Card (it shows the Individual Number)."),
                    member: "images.back")
            }
            throw InputError.malformed("This document has no side \"\(extra)\".", ja: "この書類に「\(extra)」の面はありません。", member: "images.\(extra)")
        }
        // 3. Every required side present, decoded in full, within limits, metadata stripped.
        var parts: [String: Redacted<[UInt8]>] = [:]
        var summary = ["method": id, "document_type": docID]
        for side in profile.sides {
            guard let encoded = images[side.id] else {
                if side.required {
                    throw InputError(
                        code: "image_missing",
                        message: LocalizedMessage(id: "evidence.image_missing", ja: "\(side.label.ja)の画像がありません。", en: "The \(side.label.en.lowercased()) image is missing."),
                        member: "images.\(side.id)")
                }
                continue
            }
            // Base64 (RFC 4648 §4) grows by 4/3: refuse oversize text before decoding it.
            guard encoded.utf8.count <= (limits.maxBytes / 3 + 1) * 4 + 4 else {
                throw imageError(.tooLarge(bytes: encoded.utf8.count / 4 * 3, limit: limits.maxBytes), side: side)
            }
            guard let raw = Bytes.fromBase64OrBase64URL(encoded).map({ Data($0) }) else {
                throw InputError.malformed("The \(side.id) image is not base64.", ja: "\(side.label.ja)の画像が base64 ではありません。", member: "images.\(side.id)")
            }
            let image: SanitizedImage
            do {
                image = try ImageSanitizer.sanitize(Array(raw), limits: limits)
            } catch {
                throw imageError(error, side: side)
            }
            parts["image.\(side.id)"] = Redacted(image.bytes)
            summary["image.\(side.id)"] = "\(image.format.rawValue) \(image.width)x\(image.height) orientation=\(image.orientation.rawValue)"
            if !image.removed.isEmpty { summary["image.\(side.id).removed"] = image.removed.joined(separator: ",") }
            if image.hadLocation { summary["image.\(side.id).had_location"] = "true" }
        }
        // 4. The typed attributes the reviewer compares with the document.
        let attributes = try acceptAttributes(submission.attributes, for: flow, today: context.today)
        parts["attributes"] = encodeAttributes(attributes)
        return Evidence(parts: parts, summary: summary)
    }

    func imageError(_ error: ImageError, side: DocumentProfile.Side) -> InputError {
        let (ja, en): (String, String) =
            switch error {
            case .tooLarge(_, let limit):
                ("\(side.label.ja)の画像が大きすぎます（上限 \(limit / 1_048_576) MiB）。", "The \(side.label.en.lowercased()) image is too large (limit \(limit / 1_048_576) MiB).")
            case .dimensionsOutOfRange:
                ("\(side.label.ja)の画像の縦横の大きさが範囲外です。", "The \(side.label.en.lowercased()) image's width or height is out of range.")
            case .unsupportedFormat:
                ("\(side.label.ja)の画像は JPEG か PNG にしてください。", "The \(side.label.en.lowercased()) image must be a JPEG or PNG.")
            default:
                ("\(side.label.ja)の画像を読み取れません。撮り直してください。", "The \(side.label.en.lowercased()) image cannot be read. Please take it again.")
            }
        return InputError(code: error.code, message: LocalizedMessage(id: "evidence.\(error.code)", ja: ja, en: en), member: "images.\(side.id)")
    }

    /// Nothing here can confirm a photo is genuine: the evidence always goes to a reviewer, who
    /// approves at the catalogue's level (IAL2) or rejects with a reason.
    public func verify(_ evidence: Evidence, for flow: VerificationFlow, context: ProofingContext) async throws -> ProofingOutcome {
        let attributes = try decodeAttributes(evidence)
        guard let docID = evidence.summary["document_type"], let profile = DocumentProfile.all[docID],
            profile.sides.allSatisfy({ !$0.required || evidence.parts["image.\($0.id)"] != nil })
        else {
            return ProofingOutcome(verdict: .failed("evidence_incomplete"), attributes: nil, ialReached: nil)
        }
        return ProofingOutcome(
            verdict: .needsReview, attributes: Redacted(attributes), ialReached: nil,
            diagnostics: [Diagnostic(code: "human_review_required", detail: "document images are checked by a reviewer")])
    }
}
