// libFuzzer target for the strict JSON reader (Sources/HonninCore/JSONReader.swift, RFC 8259), which
// reads clientDataJSON (WebAuthn §5.8.1) before anything else looks at it. Built by run.sh with
// swiftc -sanitize=fuzzer,address -parse-as-library over this file, JSONReader.swift and JSONValue.swift.
//
// Properties: reading never crashes or traps, and a refusal's offset lies within the input; what
// reads is written again canonically (below) into text that reads to the same value, and that
// writing is stable; the same bytes inside a larger buffer, or wrapped in whitespace, read the
// same (refusals at the same offsets); a lower nesting limit either reads the same value or
// refuses with `depth`.

/// `value` as canonical JSON text: members sorted by name, strings escaped only where RFC 8259 §7
/// requires, numbers in Swift's shortest round-trip form (always a §6 number for finite values).
func canonicalJSON(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    write(value, to: &out)
    return out
}

func write(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .null: out += Array("null".utf8)
    case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
    case .number(let number): out += Array(number.description.utf8)
    case .string(let text): writeString(text, to: &out)
    case .array(let items):
        out.append(UInt8(ascii: "["))
        for (n, item) in items.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            write(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    case .object(let members):
        out.append(UInt8(ascii: "{"))
        for (n, name) in members.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            if let member = members[name] { write(member, to: &out) }
        }
        out.append(UInt8(ascii: "}"))
    }
}

func writeString(_ text: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
        case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonReaderFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let reader = JSONReader()
    let padded = [UInt8(ascii: "x")] + bytes + [UInt8(ascii: "]")]
    let inside = padded[1..<(padded.count - 1)]
    let value: JSONValue
    do throws(JSONReaderError) {
        value = try reader.parse(bytes)
    } catch {
        let refusal = error
        precondition(refusal.offset >= 0 && refusal.offset <= bytes.count, "refusal offset outside the input")
        do throws(JSONReaderError) {
            _ = try reader.parse(inside)
            fatalError("the same bytes read inside a larger buffer")
        } catch {
            precondition(error == refusal, "a refusal moved inside a larger buffer")
        }
        return 0
    }

    guard let same = try? reader.parse(inside), same == value else { fatalError("the bytes read differently inside a larger buffer") }
    guard let wrapped = try? reader.parse([0x20, 0x0A] + bytes + [0x0D, 0x09]), wrapped == value else {
        fatalError("the bytes read differently wrapped in whitespace")
    }
    let text = canonicalJSON(value)
    guard let reread = try? reader.parse(text) else { fatalError("canonical text does not read") }
    precondition(reread == value, "canonical text reads to a different value")
    precondition(canonicalJSON(reread) == text, "canonical writing is not stable")
    do throws(JSONReaderError) {
        let shallow = try JSONReader(maxDepth: 2).parse(bytes)
        precondition(shallow == value, "a lower nesting limit read a different value")
    } catch {
        precondition(error.code == .depth, "a lower nesting limit refused for another reason than depth")
    }
    return 0
}
