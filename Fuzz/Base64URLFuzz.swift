// libFuzzer target for base64url decoding (Sources/HonninCore/Bytes.swift), which reads every
// binary member of a posted WebAuthn credential (rawId, clientDataJSON, authenticatorData,
// signature, userHandle) through unsafe buffers. Built by run.sh with swiftc
// -sanitize=fuzzer,address -parse-as-library over this file and Bytes.swift.
//
// Properties: decoding never crashes or reads out of bounds; it agrees with the plain
// bit-at-a-time reference decoder below on every input (same bytes, or both refuse); whatever
// decodes encodes back to exactly the input (only canonical unpadded text is accepted); and a
// Substring holding the same text decodes the same.

/// RFC 4648 §5 without padding, six bits at a time; nil on a character outside the alphabet, a
/// length of 1 mod 4, or non-zero bits left over.
func referenceDecode(_ text: [UInt8]) -> [UInt8]? {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    guard text.count % 4 != 1 else { return nil }
    var out: [UInt8] = []
    var bits: UInt32 = 0
    var held = 0
    for c in text {
        guard let value = alphabet.firstIndex(of: c) else { return nil }
        bits = bits << 6 | UInt32(value)
        held += 6
        if held >= 8 {
            held -= 8
            out.append(UInt8(truncatingIfNeeded: bits >> UInt32(held)))
            bits &= (1 << UInt32(held)) - 1
        }
    }
    return bits == 0 ? out : nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: input, as: UTF8.self)
    let decoded = Bytes.fromBase64URL(text)
    // The String may differ from the input where the input is not UTF-8; compare with its bytes.
    let expected = referenceDecode(Array(text.utf8))
    precondition(decoded == expected, "disagrees with the reference decoder")
    if let decoded { precondition(Bytes.base64URL(decoded) == text, "accepted a non-canonical text") }
    // Sliced by UTF-8 positions: "x" and a combining first character are one Character.
    let wrapped = "x" + text + "y"
    let inner = wrapped[wrapped.utf8.index(after: wrapped.startIndex)..<wrapped.utf8.index(before: wrapped.endIndex)]
    precondition(Bytes.fromBase64URL(inner) == decoded, "a substring decodes differently")
    return 0
}
