// libFuzzer target for the in-place X.509 reader of the JPKI checks
// (Sources/HonninPKI/CertificateFields.swift). Built by run.sh with
// swiftc -sanitize=fuzzer,address -parse-as-library over this file and CertificateFields.swift.
//
// Properties: reading never crashes or traps; what reads has every range inside the input, the
// signed part and the fields inside the certificate, and reads the same again from a copy.

@_cdecl("LLVMFuzzerTestOneInput")
public func certificateFieldsFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let fields = try? CertificateFields(der: bytes) else { return 0 }
    let all = 0..<bytes.count
    let ranges = [fields.tbs, fields.signatureAlgorithmOID, fields.signature, fields.serial, fields.issuer, fields.subjectPublicKeyInfo]
        + fields.extensions.flatMap { [$0.oid, $0.value] }
    precondition(ranges.allSatisfy { all.contains($0.lowerBound) || $0.isEmpty && $0.lowerBound <= all.upperBound }, "a range starts outside the input")
    precondition(ranges.allSatisfy { $0.upperBound <= all.upperBound }, "a range ends outside the input")
    precondition([fields.serial, fields.issuer, fields.subjectPublicKeyInfo].allSatisfy { fields.tbs.contains($0.lowerBound) }, "a field lies outside tbsCertificate")
    precondition(!fields.extensions.isEmpty && fields.notValidBefore.timeIntervalSince1970.isFinite, "fields out of shape")
    guard let again = try? CertificateFields(der: Array(bytes)) else { fatalError("the same bytes no longer read") }
    precondition(again.tbs == fields.tbs && again.serial == fields.serial && again.notValidAfter == fields.notValidAfter, "a second reading differs")
    return 0
}
