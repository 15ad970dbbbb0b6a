import HonninCore
import HonninWebAuthn
import Testing

@Suite("CBOR (RFC 8949)")
struct CBORTests {
    func decode(_ hex: String, maxDepth: Int = CBORDecoder.defaultMaxDepth) throws(CBORError) -> CBORValue {
        try CBORDecoder(maxDepth: maxDepth).decode(Bytes.fromHex(hex) ?? [0xff])
    }

    func failure(_ hex: String, maxDepth: Int = CBORDecoder.defaultMaxDepth) -> CBORError.Code? {
        do {
            _ = try decode(hex, maxDepth: maxDepth)
            return nil
        } catch {
            return error.code
        }
    }

    /// RFC 8949 Appendix A examples in the subset WebAuthn uses.
    @Test func appendixAExamples() throws {
        #expect(try decode("00") == .unsigned(0))
        #expect(try decode("17") == .unsigned(23))
        #expect(try decode("1818") == .unsigned(24))
        #expect(try decode("1903e8") == .unsigned(1000))
        #expect(try decode("1a000f4240") == .unsigned(1_000_000))
        #expect(try decode("1b000000e8d4a51000") == .unsigned(1_000_000_000_000))
        #expect(try decode("1bffffffffffffffff") == .unsigned(UInt64.max))
        #expect(try decode("3bffffffffffffffff") == .negative(UInt64.max))  // -18446744073709551616
        #expect(try decode("20") == .int(-1))
        #expect(try decode("3863") == .int(-100))
        #expect(try decode("3903e7") == .int(-1000))
        #expect(try decode("40") == .bytes([]))
        #expect(try decode("4401020304") == .bytes([1, 2, 3, 4]))
        #expect(try decode("60") == .text(""))
        #expect(try decode("6449455446") == .text("IETF"))
        #expect(try decode("62c3bc") == .text("ü"))
        #expect(try decode("f4") == .bool(false))
        #expect(try decode("f5") == .bool(true))
        #expect(try decode("f6") == .null)
        #expect(try decode("f7") == .undefined)
        #expect(try decode("83010203") == .array([.int(1), .int(2), .int(3)]))
        #expect(try decode("8301820203820405") == .array([.int(1), .array([.int(2), .int(3)]), .array([.int(4), .int(5)])]))
        let map = try decode("a26161016162820203")
        #expect(map["a"] == .int(1))
        #expect(map["b"] == .array([.int(2), .int(3)]))
        #expect(CBORValue.negative(UInt64.max).intValue == nil)
        #expect(CBORValue.unsigned(UInt64.max).intValue == nil)
        #expect(CBORValue.int(-7).intValue == -7)
    }

    @Test func prefixReportsWhereTheItemEnds() throws {
        let bytes: [UInt8] = [0xa1, 0x01, 0x02, 0xff, 0xfe]
        let (value, end) = try CBORDecoder().decodePrefix(bytes)
        #expect(value == .map([CBORMapEntry(.int(1), .int(2))]))
        #expect(end == 3)
        let second = try CBORDecoder().decodePrefix([0x00, 0x18, 0x2a], from: 1)
        #expect(second.value == .int(42))
        #expect(second.end == 3)
        #expect(failure("a1010200") == .trailingBytes)
    }

    @Test func encoderIsCanonical() throws {
        // CTAP2 canonical order: major type, then length, then bytes. Integer keys 1, 3, -1, -2, -3
        // (the COSE key order of §6.5.1.1), text keys by length.
        let value = CBORValue.map([
            CBORMapEntry(.int(-3), .bytes([3])), CBORMapEntry(.text("bb"), .int(0)), CBORMapEntry(.int(3), .int(-7)),
            CBORMapEntry(.int(-1), .int(1)), CBORMapEntry(.text("a"), .int(0)), CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(-2), .bytes([2])),
        ])
        let encoded = CBOREncoder.encode(value)
        #expect(Bytes.hex(encoded) == "a701020326200121410222410361610062626200")
        #expect(try CBORDecoder().decode(encoded)[-2] == .bytes([2]))
        // Shortest heads at every boundary.
        for n: UInt64 in [0, 23, 24, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, UInt64.max] {
            let bytes = CBOREncoder.encode(.unsigned(n))
            #expect(try CBORDecoder().decode(bytes) == .unsigned(n))
            let expected = n < 24 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : n <= 0xffff_ffff ? 5 : 9
            #expect(bytes.count == expected)
        }
        let nested = CBORValue.array([.text("日本"), .bytes(Array(repeating: 7, count: 300)), .null, .undefined, .bool(true), .map([])])
        #expect(try CBORDecoder().decode(CBOREncoder.encode(nested)) == nested)
    }

    @Test func truncatedInputIsRefused() {
        #expect(failure("") == .truncated)
        #expect(failure("18") == .truncated)
        #expect(failure("19ff") == .truncated)
        #expect(failure("1b00000000000000") == .truncated)
        #expect(failure("83010219") == .truncated)
        #expect(failure("830102") == .lengthExceedsInput)
        #expect(failure("a201020319") == .truncated)
        #expect(failure("a2010203") == .lengthExceedsInput)
        #expect(failure("a16161") == .truncated)
    }

    @Test func lengthsLargerThanTheInputAreRefusedBeforeAllocating() {
        #expect(failure("5bffffffffffffffff00") == .lengthExceedsInput)  // 2^64-1 byte string
        #expect(failure("7b7fffffffffffffff00") == .lengthExceedsInput)
        #expect(failure("5a0000000500") == .lengthExceedsInput)
        #expect(failure("9bffffffffffffffff") == .lengthExceedsInput)  // 2^64-1 elements
        #expect(failure("9a7fffffff00") == .lengthExceedsInput)
        #expect(failure("bbffffffffffffffff") == .lengthExceedsInput)
        #expect(failure("a30102") == .lengthExceedsInput)  // three entries need at least six bytes
    }

    @Test func indefiniteLengthsAreRefused() {
        #expect(failure("5f42010243030405ff") == .indefiniteLength)
        #expect(failure("7f657374726561646d696e67ff") == .indefiniteLength)
        #expect(failure("9f018202039f0405ffff") == .indefiniteLength)
        #expect(failure("bf61610161629f0203ffff") == .indefiniteLength)
        #expect(failure("ff") == .indefiniteLength)  // a lone break
        #expect(failure("1f") == .indefiniteLength)
    }

    @Test func reservedTagsFloatsAndSimpleValuesAreRefused() {
        #expect(failure("1c") == .reservedAdditionalInformation)
        #expect(failure("5d") == .reservedAdditionalInformation)
        #expect(failure("fe") == .reservedAdditionalInformation)
        #expect(failure("c074323031332d30332d32315432303a30343a30305a") == .tagNotAllowed)
        #expect(failure("d818456449455446") == .tagNotAllowed)
        #expect(failure("f93c00") == .unsupportedSimpleValue)  // half float 1.0
        #expect(failure("fa47c35000") == .unsupportedSimpleValue)
        #expect(failure("fb3ff199999999999a") == .unsupportedSimpleValue)
        #expect(failure("f0") == .unsupportedSimpleValue)
        #expect(failure("f8ff") == .unsupportedSimpleValue)
    }

    @Test func duplicateMapKeysAreRefused() {
        #expect(failure("a201020103") == .duplicateMapKey)
        #expect(failure("a2616101616102") == .duplicateMapKey)
        #expect(failure("a2410001410002") == .duplicateMapKey)
        // Equal numbers in different encodings are the same key.
        #expect(failure("a20102180102") == .duplicateMapKey)
        // 1 and "1" and h'01' are different keys.
        #expect(failure("a3010261310241010a") == nil)
        // Two map keys holding the same entries in another order are the same key (RFC 8949
        // §5.6); found by the fuzzer, whose re-encoding of such a map had a duplicate key.
        #expect(failure("a2a20102030400a20304010200") == .duplicateMapKey)
        #expect(failure("a2a20102030400a20304010500") == nil)
        let fuzzFound = Bytes.fromBase64OrBase64URL("pQECAyeiQCABQCdAQKIBQEAgQP////9AQEBAAEAAAABy") ?? []
        #expect(throws: CBORError(.duplicateMapKey, at: 13)) { _ = try CBORDecoder().decodePrefix(fuzzFound) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(failure("62c328") == .invalidUTF8)
        #expect(failure("61ff") == .invalidUTF8)
        #expect(failure("63eda080") == .invalidUTF8)  // a UTF-16 surrogate
    }

    @Test func nestingIsLimited() {
        let deep = String(repeating: "81", count: 17) + "00"
        #expect(failure(deep) == .nestingTooDeep)
        let fine = String(repeating: "81", count: 16) + "00"
        #expect(failure(fine) == nil)
        #expect(failure("a101a101a10100", maxDepth: 2) == .nestingTooDeep)
        // A million nested arrays fail fast instead of exhausting the stack.
        let bytes = [UInt8](repeating: 0x81, count: 1_000_000) + [0x00]
        #expect(throws: CBORError(.nestingTooDeep, at: 16)) { try CBORDecoder().decode(bytes) }
    }

    @Test func errorsCarryTheOffset() {
        #expect(throws: CBORError(.duplicateMapKey, at: 3)) { try CBORDecoder().decode([0xa2, 0x01, 0x02, 0x01, 0x03]) }
        #expect(throws: CBORError(.trailingBytes, at: 1)) { try CBORDecoder().decode([0x00, 0x00]) }
        #expect(throws: CBORError(.truncated, at: 2)) { try CBORDecoder().decodePrefix([0x00, 0x00], from: 3) }
    }
}
