// libFuzzer target for the CBOR decoder (Sources/HonninWebAuthn/CBOR.swift). Built by run.sh with
// swiftc -sanitize=fuzzer,address -parse-as-library over this file and CBOR.swift alone.
//
// Properties: decoding never crashes or traps; a value that decodes re-encodes canonically to
// bytes that decode to the same value (maps compared in canonical order, since the encoder sorts
// them); the canonical encoding is stable; decodePrefix never reports an end past the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func cborFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = CBORDecoder()
    if let (value, end) = try? decoder.decodePrefix(bytes) {
        precondition(end > 0 && end <= bytes.count, "decodePrefix end out of range")
        let encoded = CBOREncoder.encode(value)
        guard let again = try? decoder.decode(encoded) else { fatalError("canonical re-encoding does not decode") }
        precondition(again.canonicallyOrdered == value.canonicallyOrdered, "re-encoded value differs")
        precondition(CBOREncoder.encode(again) == encoded, "canonical encoding is not stable")
    }
    _ = try? CBORDecoder(maxDepth: 2).decode(bytes)
    return 0
}
