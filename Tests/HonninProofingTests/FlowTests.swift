import Foundation
import HonninCore
import HonninPolicy
import HonninProofing
import Testing

@Suite("Flow state machine")
struct FlowTests {
    static func flow(_ state: FlowState) -> VerificationFlow {
        // Build a flow and walk it to `state` through the table itself, so the test never
        // constructs a state the engine could not reach.
        var f = VerificationFlow(
            id: HonninID(trusted: "vfy_01jd0000000000000000000001"), createdAt: Date(timeIntervalSince1970: 0),
            expiresAt: Date(timeIntervalSince1970: 3600), createdBy: "test", profile: "low-risk", requiredIAL: 1, requiredAAL: 1,
            allowedMethods: ["self-declared"], requestedAttributes: [], reference: nil, returnURL: nil, webhookURL: nil, locale: .ja,
            retention: .default, tokenDigest: [])
        let paths: [FlowState: [FlowEvent]] = [
            .created: [], .methodChosen: [.chooseMethod], .evidenceSubmitted: [.chooseMethod, .submitEvidence],
            .verifying: [.chooseMethod, .submitEvidence, .beginVerification],
            .needsReview: [.chooseMethod, .submitEvidence, .beginVerification, .requireReview],
            .approved: [.chooseMethod, .submitEvidence, .beginVerification, .approve],
            .rejected: [.chooseMethod, .submitEvidence, .beginVerification, .reject], .expired: [.expire], .cancelled: [.cancel],
        ]
        for e in paths[state]! { try! f.apply(e, at: Date(timeIntervalSince1970: 1)) }
        #expect(f.state == state)
        return f
    }

    @Test("every edge of the table is accepted", arguments: FlowTransitions.table)
    func edge(_ edge: FlowTransitions.Edge) throws {
        var f = Self.flow(edge.from)
        try f.apply(edge.event, at: Date(timeIntervalSince1970: 5))
        #expect(f.state == edge.to)
        #expect(f.updatedAt == Date(timeIntervalSince1970: 5))
    }

    @Test("no transition outside the table is accepted, and a refusal changes nothing")
    func nothingElse() {
        let allowed = Set(FlowTransitions.table.map { "\($0.from.rawValue) \($0.event.rawValue)" })
        var refused = 0
        for state in FlowState.allCases {
            for event in FlowEvent.allCases where !allowed.contains("\(state.rawValue) \(event.rawValue)") {
                var f = Self.flow(state)
                let before = f
                #expect(throws: FlowError.wrongState(state, event)) { try f.apply(event, at: Date(timeIntervalSince1970: 9)) }
                #expect(f == before)
                refused += 1
            }
        }
        #expect(refused == FlowState.allCases.count * FlowEvent.allCases.count - FlowTransitions.table.count)
    }

    @Test("final states have no way out, and only waiting states expire")
    func finals() {
        for s in FlowState.allCases where s.isFinal {
            #expect(FlowEvent.allCases.allSatisfy { FlowTransitions.next(s, $0) == nil })
        }
        #expect(Set(FlowState.allCases.filter { FlowTransitions.next($0, .expire) != nil }) == [.created, .methodChosen])
        #expect(Self.flow(.methodChosen).isDue(at: Date(timeIntervalSince1970: 3600)))
        #expect(!Self.flow(.methodChosen).isDue(at: Date(timeIntervalSince1970: 3599)))
        #expect(!Self.flow(.needsReview).isDue(at: Date(timeIntervalSince1970: 9999)))
    }

    @Test("the diagram in docs/verification.md is the transition table")
    func docsDiagram() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/verification.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        #expect(text.contains("```mermaid\n" + FlowTransitions.mermaid() + "\n```"), "regenerate the diagram from FlowTransitions.mermaid()")
    }
}
