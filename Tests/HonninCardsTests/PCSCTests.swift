#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HonninCore
import HonninPCSC
import Testing

/// PC/SC without hardware: what the adapter says when the library, the service or a reader is
/// missing. (With `pcscd` and Debian's `vsmartcard-vpcd` the real path could be driven by the
/// card simulator: `PCSCVirtualCardTests`.)
@Suite("PC/SC adapter")
struct PCSCTests {
    /// Whether `dlopen` finds the system library here.
    static var libraryInstalled: Bool {
        guard let handle = dlopen(PCSCLibrary.defaultPath, RTLD_NOW) else { return false }
        dlclose(handle)
        return true
    }

    /// Whether pcscd's socket exists (pcsc-lite's default `/run/pcscd/pcscd.comm`, or
    /// `$PCSCLITE_CSOCK_NAME`).
    static var serviceSocketPresent: Bool {
        let path = getenv("PCSCLITE_CSOCK_NAME").map { String(cString: $0) } ?? "/run/pcscd/pcscd.comm"
        return access(path, F_OK) == 0
    }

    @Test("a library that is not there is libraryNotAvailable, with the install hint in both languages")
    func missingLibrary() {
        #expect {
            _ = try PCSCLibrary.load("libpcsclite-honnin-absent.so.1")
        } throws: { error in
            guard let error = error as? PCSCError, case .libraryNotAvailable(let detail) = error else { return false }
            return detail.contains("libpcsclite-honnin-absent.so.1")
                && error.code == "pcsc_library_not_available"
                && error.message.ja.contains("pcscd libpcsclite1")
                && error.message.en.contains("pcscd libpcsclite1")
                && error.message.en.contains("plug in a card reader")
        }
    }

    @Test("a library without the PC/SC symbols is libraryNotAvailable naming the symbol")
    func wrongLibrary() {
        #expect {
            _ = try PCSCLibrary.load("libm.so.6")
        } throws: { error in
            guard case .libraryNotAvailable(let detail)? = error as? PCSCError else { return false }
            return detail.contains("SCardEstablishContext")
        }
    }

    @Test("PCSC.readers() on this machine: library missing, or pcscd not running, or readers listed")
    func readersHere() throws {
        if !Self.libraryInstalled {
            #expect {
                _ = try PCSC.readers()
            } throws: { error in
                guard case .libraryNotAvailable? = error as? PCSCError else { return false }
                return true
            }
        } else if !Self.serviceSocketPresent {
            #expect(throws: PCSCError.serviceNotAvailable) { _ = try PCSC.readers() }
            #expect(throws: PCSCError.serviceNotAvailable) { _ = try PCSC.connect() }
            #expect(PCSCError.serviceNotAvailable.message.en.contains("pcscd libpcsclite1"))
            #expect(PCSCError.serviceNotAvailable.message.ja.contains("pcscd"))
        } else {
            // pcscd runs: either readers are listed or the typed noReaders error comes.
            do {
                let readers = try PCSC.readers()
                #expect(!readers.isEmpty)
            } catch {
                #expect(error == .noReaders)
            }
        }
    }

    @Test("PC/SC errors have distinct stable codes and bilingual messages")
    func errorTexts() {
        let errors: [PCSCError] = [
            .libraryNotAvailable("x"), .serviceNotAvailable, .noReaders, .unknownReader("r"), .noCard("r"),
            .sharingViolation, .failure(function: "SCardTransmit", status: 0x8010_0069),
        ]
        #expect(Set(errors.map(\.code)).count == errors.count)
        for e in errors {
            #expect(e.message.id == "pcsc.error.\(e.code)")
            #expect(!e.message.ja.isEmpty && !e.message.en.isEmpty)
        }
        #expect(PCSCError.noReaders.message.en.contains("Plug in a card reader"))
        #expect("\(PCSCError.failure(function: "SCardTransmit", status: 0x8010_0069))".contains("SCARD_W_REMOVED_CARD"))
    }
}
