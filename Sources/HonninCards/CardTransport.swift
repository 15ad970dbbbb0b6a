/// Something that carries one command APDU to a card and brings back its response: a PC/SC
/// reader (`HonninPCSC`), CoreNFC's `NFCISO7816Tag` in an iOS app, a simulator in tests.
///
/// A transport sends exactly the command it is given and returns exactly what the card said.
/// Transmission-level statuses `61 xx` and `6C xx` (ISO/IEC 7816-4 §5.1.3, §7.6.1) may be left
/// to ``ResponseCompletingTransport``, which card applications in this module wrap around every
/// transport; a transport that completes them itself (CoreNFC does) loses nothing by the wrap.
///
/// Errors: a transport throws what it likes for a broken link (``CardError/transport(_:)`` is
/// preferred); card applications turn anything that is not a ``CardError`` into
/// ``CardError/transport(_:)``.
public protocol CardTransport: Sendable {
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU
}

/// Completes responses the way ISO/IEC 7816-4 §5.1.3 and §7.6.1 (GET RESPONSE) and
/// ISO/IEC 7816-3 §12.2 (T=0 case handling) describe, so callers only see final answers.
///
/// 1. Send the command.
/// 2. `6C xx` (wrong Le, exact length `xx`): send the same command once more with Le = `xx`
///    (00 → 256). A second `6C xx` is returned as it is.
/// 3. `61 xx` (`xx` bytes still available): send GET RESPONSE `00 C0 00 00 xx`, append its
///    data, and repeat while the card answers `61 xx`. The final status word is the last one.
///    The chain is cut at 65536 bytes or 300 rounds (``CardError/malformedResponse``) so that a
///    hostile card cannot keep us busy for ever.
public struct ResponseCompletingTransport<Base: CardTransport>: CardTransport {
    public let base: Base

    public init(_ base: Base) { self.base = base }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await ResponseCompletion.transmit(command, over: base)
    }
}

/// The algorithm of ``ResponseCompletingTransport`` for an existential transport.
public enum ResponseCompletion {
    /// Sends `command` over `transport` and completes `6C xx` / `61 xx` (steps 1–3 of
    /// ``ResponseCompletingTransport``).
    public static func transmit(_ command: CommandAPDU, over transport: any CardTransport) async throws -> ResponseAPDU {
        // 1.
        var response = try await transport.transmit(command)
        // 2.
        if let exact = response.sw.exactLength {
            var again = command
            again.le = exact
            response = try await transport.transmit(again)
        }
        // 3.
        var data = response.data
        var rounds = 0
        while let available = response.sw.bytesAvailable {
            rounds += 1
            guard rounds <= 300 else { throw CardError.malformedResponse }
            response = try await transport.transmit(CommandAPDU(cla: 0x00, ins: 0xC0, p1: 0x00, p2: 0x00, le: available))
            data += response.data
            guard data.count <= CommandAPDU.maximumResponseLength else { throw CardError.malformedResponse }
        }
        return ResponseAPDU(data: data, sw: response.sw)
    }
}

extension CardTransport {
    /// This transport with `61 xx` and `6C xx` handled (see ``ResponseCompletingTransport``).
    public var completingResponses: ResponseCompletingTransport<Self> { ResponseCompletingTransport(self) }
}
