import HonninCards
import HonninTesting
import HonninCore
import Testing

/// A hostile or broken card: random bytes as responses, or the simulator's responses mutated.
/// The JPKI application must end every operation with a value or a typed ``CardError`` — no
/// crash, no hang, no unbounded loop.
actor HostileTransport: CardTransport {
    enum Mode: Sendable { case random, mutating(JPKICardSimulator) }
    var rng: SplitMix64
    let mode: Mode
    private(set) var count = 0

    init(seed: UInt64, mode: Mode) {
        rng = SplitMix64(seed: seed)
        self.mode = mode
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        count += 1
        switch mode {
        case .random:
            // Bias towards plausible status words so that deeper code paths are reached.
            let length = Int.random(in: 0...300, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.count >= 2, Int.random(in: 0..<3, using: &rng) > 0 {
                let sws: [UInt16] = [0x9000, 0x6282, 0x6100, 0x61FF, 0x6C00, 0x6C05, 0x63C0, 0x63C3, 0x6984, 0x6982, 0x6A82]
                let sw = sws.randomElement(using: &rng)!
                bytes[bytes.count - 2] = UInt8(sw >> 8)
                bytes[bytes.count - 1] = UInt8(sw & 0xFF)
            }
            return try ResponseAPDU(bytes: bytes)
        case .mutating(let sim):
            var bytes = try await sim.transmit(command).bytes
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:  // flip a byte
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
            case 1:  // truncate
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 2:  // append junk before the status word
                let junk = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes = junk + bytes
            default: break
            }
            return try ResponseAPDU(bytes: bytes)
        }
    }
}

@Suite("JPKI application against hostile responses")
struct MutationTests {
    /// Runs every operation once; returns how many ended in a typed error (the typed throws of
    /// `JPKICard` make anything else impossible to catch here).
    func exercise(_ card: JPKICard) async -> Int {
        var errors = 0
        let pin = Redacted("ABC123")
        func note(_ error: CardError) {
            errors += 1
            #expect(!error.code.isEmpty && !error.message.ja.isEmpty)
        }
        do throws(CardError) { _ = try await card.tokenInfo() } catch { note(error) }
        for which in JPKICertificate.allCases {
            do throws(CardError) { _ = try await card.certificate(which, pin: which == .signature ? pin : nil) } catch { note(error) }
        }
        do throws(CardError) { _ = try await card.pinTriesLeft(.signature) } catch { note(error) }
        do throws(CardError) { try await card.verify(.userAuthentication, Redacted("1234")) } catch { note(error) }
        do throws(CardError) {
            _ = try await card.sign(digestInfo: DigestInfo.sha256(Array(repeating: 9, count: 32)), with: .signature, pin: pin)
        } catch { note(error) }
        return errors
    }

    @Test("random bytes as every response never crash the JPKI app", arguments: 0..<8)
    func randomResponses(_ batch: Int) async {
        var errors = 0
        var commands = 0
        for seed in 0..<150 {
            let transport = HostileTransport(seed: UInt64(batch * 1000 + seed), mode: .random)
            errors += await exercise(JPKICard(transport: transport))
            commands += await transport.count
        }
        #expect(errors > 0)
        // Bounded work: 8 operations × at most (SELECTs + 129 READs + 300 GET RESPONSEs each).
        #expect(commands < 150 * 8 * 500)
    }

    @Test("mutated simulator responses never crash the JPKI app", arguments: 0..<4)
    func mutatedResponses(_ batch: Int) async {
        var errors = 0
        var successes = 0
        for seed in 0..<40 {
            let sim = CardFixtures.simulator()
            let card = JPKICard(transport: HostileTransport(seed: UInt64(batch * 1000 + seed), mode: .mutating(sim)))
            let e = await exercise(card)
            errors += e
            successes += 8 - e
        }
        #expect(errors > 0)
        #expect(successes > 0)
    }
}
