/// The DER `DigestInfo` that RSASSA-PKCS1-v1_5 signs (RFC 8017 §9.2, step 2):
///
/// ```
/// DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
/// ```
///
/// The JPKI card pads and signs whatever DigestInfo it is sent (research notes §1.4, from
/// jpki/myna `src/reader.rs`, OpenSC `card-jpki.c`): the host picks the hash. This module has no
/// hash functions; the caller hashes and passes the digest, and these functions prepend the
/// fixed DER prefix given in RFC 8017 §9.2, Note 1. SHA-1 is deliberately absent (the server
/// rejects it).
public enum DigestInfo {
    /// A hash algorithm with its DigestInfo prefix.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256, sha384, sha512

        /// Digest length in bytes.
        public var digestLength: Int {
            switch self {
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        /// `SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING (length) }` up to the digest
        /// (RFC 8017 §9.2 Note 1; OIDs 2.16.840.1.101.3.4.2.1/.2/.3).
        public var prefix: [UInt8] {
            switch self {
            case .sha256:
                [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
            case .sha384:
                [0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]
            case .sha512:
                [0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]
            }
        }
    }

    /// `DigestInfo` for `hash` computed with `algorithm`; ``CardError/invalidArgument(_:)`` when
    /// the hash has the wrong length for the algorithm.
    public static func encode(_ hash: [UInt8], algorithm: Algorithm) throws(CardError) -> [UInt8] {
        guard hash.count == algorithm.digestLength else {
            throw .invalidArgument("\(algorithm.rawValue) digest must be \(algorithm.digestLength) bytes, got \(hash.count)")
        }
        return algorithm.prefix + hash
    }

    /// `DigestInfo` for a SHA-256 hash (32 bytes; anything else stops the program: a caller bug).
    public static func sha256(_ hash: [UInt8]) -> [UInt8] { fixed(hash, .sha256) }
    /// `DigestInfo` for a SHA-384 hash (48 bytes).
    public static func sha384(_ hash: [UInt8]) -> [UInt8] { fixed(hash, .sha384) }
    /// `DigestInfo` for a SHA-512 hash (64 bytes).
    public static func sha512(_ hash: [UInt8]) -> [UInt8] { fixed(hash, .sha512) }

    private static func fixed(_ hash: [UInt8], _ algorithm: Algorithm) -> [UInt8] {
        precondition(hash.count == algorithm.digestLength, "\(algorithm.rawValue) digest must be \(algorithm.digestLength) bytes")
        return algorithm.prefix + hash
    }

    /// Splits a DigestInfo made by ``encode(_:algorithm:)`` back into algorithm and hash, or
    /// `nil` when it is not one of the three exact encodings (used by simulators and tests).
    public static func decode(_ digestInfo: [UInt8]) -> (algorithm: Algorithm, hash: [UInt8])? {
        for algorithm in Algorithm.allCases
        where digestInfo.count == algorithm.prefix.count + algorithm.digestLength
            && digestInfo.starts(with: algorithm.prefix)
        {
            return (algorithm, Array(digestInfo.dropFirst(algorithm.prefix.count)))
        }
        return nil
    }
}
