import Foundation
import HonninPolicy
import Testing

@Suite("Method catalogue")
struct CatalogueTests {
    /// The shipped file, read from the source tree (tests must see the same bytes the product loads).
    static func sourceURL() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HonninPolicy/Resources/catalogue.json")
    }

    /// Loads the shipped JSON after `edit` changed it.
    func load(_ edit: (inout [String: Any]) -> Void) throws -> MethodCatalogue {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.sourceURL())) as? [String: Any])
        edit(&json)
        return try MethodCatalogue.load(try JSONSerialization.data(withJSONObject: json))
    }

    func editRow(_ section: String, _ id: String, _ json: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var rows = json[section] as! [[String: Any]]
        let i = rows.firstIndex { $0["id"] as? String == id }!
        change(&rows[i])
        json[section] = rows
    }

    @Test("the shipped catalogue loads and defines every method id")
    func bundled() throws {
        let c = try MethodCatalogue.bundled()
        #expect(c.proofing.map(\.id).sorted() == MethodCatalogue.proofingIDs.sorted())
        #expect(c.authentication.map(\.id).sorted() == MethodCatalogue.authenticationIDs.sorted())
        #expect(c.levels.ial.count == 3 && c.levels.aal.count == 3)
    }

    @Test("rows carry the guideline's values")
    func guidelineValues() throws {
        let c = try MethodCatalogue.bundled()
        // Proofing table (OIDF-J 2023): gov IAL, DADC IAL, user time, instant decision.
        let expected: [(String, Int?, Int?, Int?, Bool)] = [
            ("self-declared", 1, nil, nil, true), ("document-upload", 2, 0, 30, false), ("photo-selfie", 2, 1, 60, false),
            ("ic-chip", 2, 3, 40, false), ("jpki-signature", 3, 4, 20, true),
        ]
        for (id, gov, dadc, seconds, instant) in expected {
            let m = try #require(c.proofingMethod(id))
            #expect(m.gov_ial?.rawValue == gov, "\(id)")
            #expect(m.dadc_ial == dadc, "\(id)")
            #expect(m.user_seconds == seconds, "\(id)")
            #expect(m.instant == instant, "\(id)")
        }
        // Authentication table: AAL and phishing resistance.
        let auth: [(String, Int, Bool)] = [
            ("password", 1, false), ("password-totp", 2, false), ("passkey", 2, true), ("security-key", 3, true),
            ("jpki-user-cert", 3, true),
        ]
        for (id, aal, phishing) in auth {
            let m = try #require(c.authenticationMethod(id))
            #expect(m.aal.rawValue == aal, "\(id)")
            #expect(m.phishing_resistant == phishing, "\(id)")
        }
        // After 2027-04-01 an obliged business has IC chip + face or JPKI only.
        let validAfter = c.proofing.filter(\.legal.aml_valid_from_2027_04_01).map(\.id).sorted()
        #expect(validAfter == ["ic-chip", "jpki-signature"])
        let validBefore = c.proofing.filter(\.legal.aml_valid_before_2027_04_01).map(\.id).sorted()
        #expect(validBefore == ["ic-chip", "jpki-signature", "photo-selfie"])
        // The My Number Card's back (個人番号) is never a document here.
        #expect(c.documents.first { $0.id == "my-number-card" }?.ja.contains("表面のみ") == true)
    }

    @Test("a missing level names the row", arguments: ["photo-selfie", "ic-chip"])
    func missingLevel(_ id: String) throws {
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing \(id)", reason: "gov_ial is missing")) {
            try load { editRow("proofing", id, &$0) { $0.removeValue(forKey: "gov_ial") } }
        }
        #expect(throws: MethodCatalogue.ValidationError(row: "authentication passkey", reason: "aal is missing")) {
            try load { editRow("authentication", "passkey", &$0) { $0.removeValue(forKey: "aal") } }
        }
    }

    @Test("a missing, empty or unknown source names the row")
    func sources() throws {
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing jpki-signature", reason: "sources is missing")) {
            try load { editRow("proofing", "jpki-signature", &$0) { $0.removeValue(forKey: "sources") } }
        }
        #expect(throws: MethodCatalogue.ValidationError(row: "authentication password", reason: "no source")) {
            try load { editRow("authentication", "password", &$0) { $0["sources"] = [String]() } }
        }
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing ic-chip", reason: "unknown source nowhere")) {
            try load { editRow("proofing", "ic-chip", &$0) { $0["sources"] = ["nowhere"] } }
        }
    }

    @Test("other malformed catalogues are refused with the row named")
    func malformed() throws {
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing photo-selfie", reason: "the 2025 amendment abolishes image-based methods from 2027-04-01")) {
            try load {
                editRow("proofing", "photo-selfie", &$0) {
                    var legal = $0["legal"] as! [String: Any]
                    legal["aml_valid_from_2027_04_01"] = true
                    $0["legal"] = legal
                }
            }
        }
        #expect(throws: MethodCatalogue.ValidationError.self) { try load { editRow("proofing", "ic-chip", &$0) { $0["gov_ial"] = 4 } } }
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing ic-chip", reason: "unknown document library-card")) {
            try load { editRow("proofing", "ic-chip", &$0) { $0["documents"] = ["library-card"] } }
        }
        #expect(throws: MethodCatalogue.ValidationError(row: "proofing reliance-oidc", reason: "required method is not in the catalogue")) {
            try load { json in json["proofing"] = (json["proofing"] as! [[String: Any]]).filter { $0["id"] as? String != "reliance-oidc" } }
        }
        #expect(throws: MethodCatalogue.ValidationError(row: "levels.aal", reason: "levels 1, 2 and 3 must each be defined once")) {
            try load { json in
                var levels = json["levels"] as! [String: Any]
                levels["aal"] = Array((levels["aal"] as! [[String: Any]]).prefix(2))
                json["levels"] = levels
            }
        }
        for bytes in ["", "{", "[]", "null", "{\"format\": 1}"] {
            #expect(throws: MethodCatalogue.ValidationError.self) { try MethodCatalogue.load(Data(bytes.utf8)) }
        }
    }
}
