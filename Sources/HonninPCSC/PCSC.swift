#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import HonninCards
import HonninCore
import Synchronization

// Real card readers through PC/SC. pcsc-lite is loaded at run time with dlopen/dlsym, so this
// target builds (and the rest of Honnin runs) on machines without libpcsclite-dev; the
// functions are the PC/SC Workgroup API as pcsc-lite 1.9 declares it in `winscard.h` and
// `pcsclite.h`. Only the Linux ABI is tested; the macOS PCSC.framework path and types are
// provided but untested.
//
// Driving the real path without a card: Debian's `vsmartcard-vpcd` is a pcscd reader driver
// that accepts a virtual card over TCP (127.0.0.1:35963). `PCSCVirtualCardTests` plugs the JPKI
// card simulator into it and runs readers → connect → token info → certificates → VERIFY →
// signature through a real pcscd; it runs when `HONNIN_PCSC_VPCD=1` (install
// `pcscd vsmartcard-vpcd`, start `pcscd -f`, then set the variable).

#if os(Linux)
/// `DWORD` of pcsc-lite on Linux: `unsigned long` (`wintypes.h`, non-Apple branch).
typealias DWORD = UInt
/// `LONG` (also `SCARDCONTEXT`, `SCARDHANDLE`): `long`.
typealias LONG = Int
#else
/// `DWORD` of Apple's PCSC.framework: `uint32_t`.
typealias DWORD = UInt32
/// `LONG` of Apple's PCSC.framework: `int32_t`.
typealias LONG = Int32
#endif

/// PC/SC constants (pcsc-lite `pcsclite.h`).
enum SCard {
    static let scopeSystem: DWORD = 0x0002
    static let shareShared: DWORD = 0x0002
    static let protocolT0: DWORD = 0x0001
    static let protocolT1: DWORD = 0x0002
    static let leaveCard: DWORD = 0x0000
    static let stateUnaware: DWORD = 0x0000
    static let statePresent: DWORD = 0x0020

    static let success: UInt32 = 0
    static let cancelled: UInt32 = 0x8010_0002
    static let insufficientBuffer: UInt32 = 0x8010_0008
    static let unknownReader: UInt32 = 0x8010_0009
    static let timeout: UInt32 = 0x8010_000A
    static let sharingViolation: UInt32 = 0x8010_000B
    static let noSmartcard: UInt32 = 0x8010_000C
    static let readerUnavailable: UInt32 = 0x8010_0017
    static let noService: UInt32 = 0x8010_001D
    static let noReadersAvailable: UInt32 = 0x8010_002E
    static let unresponsiveCard: UInt32 = 0x8010_0066
    static let resetCard: UInt32 = 0x8010_0068
    static let removedCard: UInt32 = 0x8010_0069

    /// The `SCARD_*` name of a return code, for operator messages.
    static func name(_ code: UInt32) -> String {
        switch code {
        case cancelled: "SCARD_E_CANCELLED"
        case insufficientBuffer: "SCARD_E_INSUFFICIENT_BUFFER"
        case unknownReader: "SCARD_E_UNKNOWN_READER"
        case timeout: "SCARD_E_TIMEOUT"
        case sharingViolation: "SCARD_E_SHARING_VIOLATION"
        case noSmartcard: "SCARD_E_NO_SMARTCARD"
        case readerUnavailable: "SCARD_E_READER_UNAVAILABLE"
        case noService: "SCARD_E_NO_SERVICE"
        case noReadersAvailable: "SCARD_E_NO_READERS_AVAILABLE"
        case unresponsiveCard: "SCARD_W_UNRESPONSIVE_CARD"
        case resetCard: "SCARD_W_RESET_CARD"
        case removedCard: "SCARD_W_REMOVED_CARD"
        default: "0x" + String(code, radix: 16, uppercase: true)
        }
    }

    /// The return code as the 32-bit value the headers define (`(LONG)0x8010001D` is positive
    /// in a 64-bit `long`).
    static func code(_ rv: LONG) -> UInt32 { UInt32(truncatingIfNeeded: rv) }
}

/// Why PC/SC could not be used. Each case has a stable ``code`` and a ja/en ``message`` that
/// tells the person what to install or plug in.
public enum PCSCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `dlopen` could not load the PC/SC library (detail: the path and `dlerror()`).
    case libraryNotAvailable(String)
    /// The library loaded but the resource manager `pcscd` is not running (`SCARD_E_NO_SERVICE`).
    case serviceNotAvailable
    /// No reader is connected (`SCARD_E_NO_READERS_AVAILABLE`).
    case noReaders
    /// No reader has this name (`SCARD_E_UNKNOWN_READER`).
    case unknownReader(String)
    /// The reader has no card (`SCARD_E_NO_SMARTCARD`, `SCARD_W_REMOVED_CARD`).
    case noCard(String)
    /// Another program holds the card exclusively (`SCARD_E_SHARING_VIOLATION`).
    case sharingViolation
    /// A PC/SC function failed with another code.
    case failure(function: String, status: UInt32)

    public var code: String {
        switch self {
        case .libraryNotAvailable: "pcsc_library_not_available"
        case .serviceNotAvailable: "pcsc_service_not_available"
        case .noReaders: "pcsc_no_readers"
        case .unknownReader: "pcsc_unknown_reader"
        case .noCard: "pcsc_no_card"
        case .sharingViolation: "pcsc_sharing_violation"
        case .failure: "pcsc_failure"
        }
    }

    /// Text for the person at the reader; id `pcsc.error.<code>`.
    public var message: LocalizedMessage {
        let (ja, en): (String, String)
        switch self {
        case .libraryNotAvailable:
            (ja, en) = (
                "PC/SC ライブラリ（libpcsclite.so.1）が見つかりません。`sudo apt install pcscd libpcsclite1` でインストールし、カードリーダーを接続してください。",
                "The PC/SC library (libpcsclite.so.1) is not installed. Install it with `sudo apt install pcscd libpcsclite1` and plug in a card reader."
            )
        case .serviceNotAvailable:
            (ja, en) = (
                "PC/SC サービス（pcscd）が動いていません。`sudo apt install pcscd libpcsclite1` でインストールし、`sudo systemctl start pcscd` で起動してから、カードリーダーを接続してください。",
                "The PC/SC service (pcscd) is not running. Install it with `sudo apt install pcscd libpcsclite1`, start it with `sudo systemctl start pcscd`, and plug in a card reader."
            )
        case .noReaders:
            (ja, en) = (
                "カードリーダーが見つかりません。リーダーを接続してください。",
                "No card reader was found. Plug in a card reader."
            )
        case .unknownReader:
            (ja, en) = ("指定したカードリーダーが見つかりません。", "The named card reader was not found.")
        case .noCard:
            (ja, en) = (
                "リーダーにカードがありません。マイナンバーカードをリーダーに置いてください。",
                "There is no card in the reader. Place the My Number Card on the reader."
            )
        case .sharingViolation:
            (ja, en) = (
                "カードを別のプログラムが使用中です。そのプログラムを終了してから、もう一度お試しください。",
                "Another program is using the card. Close it and retry."
            )
        case .failure:
            (ja, en) = ("カードリーダーでエラーが起きました。", "The card reader reported an error.")
        }
        return LocalizedMessage(id: "pcsc.error.\(code)", ja: ja, en: en)
    }

    public var description: String {
        switch self {
        case .libraryNotAvailable(let detail): "\(code): \(detail)"
        case .unknownReader(let r), .noCard(let r): "\(code): \(r)"
        case .failure(let f, let s): "\(code): \(f) → \(SCard.name(s))"
        default: code
        }
    }
}

/// pcsc-lite, opened with `dlopen` and its functions found with `dlsym`.
///
/// `@unchecked Sendable`: every stored property is an immutable C function or data pointer into
/// a library that stays loaded for the life of the process.
public final class PCSCLibrary: @unchecked Sendable {
    typealias EstablishContext = @convention(c) (DWORD, UnsafeRawPointer?, UnsafeRawPointer?, UnsafeMutablePointer<LONG>?) -> LONG
    typealias ReleaseContext = @convention(c) (LONG) -> LONG
    typealias ListReaders = @convention(c) (LONG, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<DWORD>?) -> LONG
    typealias Connect = @convention(c) (LONG, UnsafePointer<CChar>?, DWORD, DWORD, UnsafeMutablePointer<LONG>?, UnsafeMutablePointer<DWORD>?) -> LONG
    typealias Disconnect = @convention(c) (LONG, DWORD) -> LONG
    typealias Transmit = @convention(c) (
        LONG, UnsafeRawPointer?, UnsafePointer<UInt8>?, DWORD, UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?,
        UnsafeMutablePointer<DWORD>?
    ) -> LONG
    typealias GetStatusChange = @convention(c) (LONG, DWORD, UnsafeMutableRawPointer?, DWORD) -> LONG

    #if os(Linux)
    /// The runtime name of pcsc-lite (Debian package `libpcsclite1`).
    public static let defaultPath = "libpcsclite.so.1"
    #else
    public static let defaultPath = "/System/Library/Frameworks/PCSC.framework/PCSC"
    #endif

    public let path: String
    let establishContext: EstablishContext
    let releaseContext: ReleaseContext
    let listReaders: ListReaders
    let connect: Connect
    let disconnect: Disconnect
    let transmit: Transmit
    let getStatusChange: GetStatusChange?
    /// `SCARD_PCI_T0` / `SCARD_PCI_T1`: the global `SCARD_IO_REQUEST`s `g_rgSCardT0Pci`, `g_rgSCardT1Pci`.
    let pciT0: UnsafeRawPointer
    let pciT1: UnsafeRawPointer

    /// Loads the library at `path` (a name searched like `dlopen` does, or a full path).
    ///
    /// 1. `dlopen(path, RTLD_NOW)`; failure → ``PCSCError/libraryNotAvailable(_:)`` with
    ///    `dlerror()`.
    /// 2. `dlsym` each function and the T=0/T=1 PCI globals; a missing one →
    ///    ``PCSCError/libraryNotAvailable(_:)`` naming it (`SCardGetStatusChange` is optional).
    public static func load(_ path: String = defaultPath) throws(PCSCError) -> PCSCLibrary {
        // 1.
        guard let handle = dlopen(path, RTLD_NOW) else {
            let detail = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw .libraryNotAvailable("dlopen(\(path)): \(detail)")
        }
        // 2.
        func symbol(_ name: String) throws(PCSCError) -> UnsafeMutableRawPointer {
            guard let s = dlsym(handle, name) else { throw .libraryNotAvailable("\(path) has no symbol \(name)") }
            return s
        }
        return PCSCLibrary(
            path: path,
            establishContext: unsafeBitCast(try symbol("SCardEstablishContext"), to: EstablishContext.self),
            releaseContext: unsafeBitCast(try symbol("SCardReleaseContext"), to: ReleaseContext.self),
            listReaders: unsafeBitCast(try symbol("SCardListReaders"), to: ListReaders.self),
            connect: unsafeBitCast(try symbol("SCardConnect"), to: Connect.self),
            disconnect: unsafeBitCast(try symbol("SCardDisconnect"), to: Disconnect.self),
            transmit: unsafeBitCast(try symbol("SCardTransmit"), to: Transmit.self),
            getStatusChange: dlsym(handle, "SCardGetStatusChange").map { unsafeBitCast($0, to: GetStatusChange.self) },
            pciT0: UnsafeRawPointer(try symbol("g_rgSCardT0Pci")),
            pciT1: UnsafeRawPointer(try symbol("g_rgSCardT1Pci"))
        )
    }

    private init(
        path: String, establishContext: @escaping EstablishContext, releaseContext: @escaping ReleaseContext,
        listReaders: @escaping ListReaders, connect: @escaping Connect, disconnect: @escaping Disconnect,
        transmit: @escaping Transmit, getStatusChange: GetStatusChange?, pciT0: UnsafeRawPointer, pciT1: UnsafeRawPointer
    ) {
        self.path = path
        self.establishContext = establishContext
        self.releaseContext = releaseContext
        self.listReaders = listReaders
        self.connect = connect
        self.disconnect = disconnect
        self.transmit = transmit
        self.getStatusChange = getStatusChange
        self.pciT0 = pciT0
        self.pciT1 = pciT1
    }

    /// A new resource-manager context (`SCardEstablishContext(SCARD_SCOPE_SYSTEM)`);
    /// `SCARD_E_NO_SERVICE` → ``PCSCError/serviceNotAvailable``.
    func newContext() throws(PCSCError) -> LONG {
        var context: LONG = 0
        let rv = SCard.code(establishContext(SCard.scopeSystem, nil, nil, &context))
        switch rv {
        case SCard.success: return context
        case SCard.noService: throw .serviceNotAvailable
        default: throw .failure(function: "SCardEstablishContext", status: rv)
        }
    }

    /// The names of the connected readers.
    ///
    /// 1. Establish a context. 2. `SCardListReaders` with no buffer to learn the size, then with
    ///    a buffer. 3. Split the multi-string (names separated by NUL, ended by a double NUL).
    ///    4. Release the context. No reader → ``PCSCError/noReaders``.
    public func readers() throws(PCSCError) -> [String] {
        // 1.
        let context = try newContext()
        defer { _ = releaseContext(context) }
        // 2.
        var size: DWORD = 0
        var rv = SCard.code(listReaders(context, nil, nil, &size))
        if rv == SCard.noReadersAvailable { throw .noReaders }
        guard rv == SCard.success else { throw .failure(function: "SCardListReaders", status: rv) }
        guard size > 0, size < 1 << 20 else { throw .noReaders }
        var buffer = [CChar](repeating: 0, count: Int(size))
        rv = SCard.code(buffer.withUnsafeMutableBufferPointer { listReaders(context, nil, $0.baseAddress, &size) })
        if rv == SCard.noReadersAvailable { throw .noReaders }
        guard rv == SCard.success else { throw .failure(function: "SCardListReaders", status: rv) }
        // 3.
        let names = buffer.prefix(Int(min(size, DWORD(buffer.count))))
            .split(separator: 0, omittingEmptySubsequences: true)
            .map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        guard !names.isEmpty else { throw .noReaders }
        return names
    }

    /// Connects to the card in `reader` (shared, T=0 or T=1).
    ///
    /// 1. Establish a context (kept by the transport). 2. `SCardConnect(reader,
    ///    SCARD_SHARE_SHARED, T0|T1)`. 3. Keep the active protocol to pick `SCARD_PCI_T0/T1`.
    public func connect(reader: String) throws(PCSCError) -> PCSCTransport {
        // 1.
        let context = try newContext()
        // 2.
        var card: LONG = 0
        var active: DWORD = 0
        let rv = SCard.code(
            reader.withCString { connect(context, $0, SCard.shareShared, SCard.protocolT0 | SCard.protocolT1, &card, &active) })
        guard rv == SCard.success else {
            _ = releaseContext(context)
            switch rv {
            case SCard.noSmartcard, SCard.removedCard, SCard.unresponsiveCard: throw .noCard(reader)
            case SCard.unknownReader, SCard.readerUnavailable: throw .unknownReader(reader)
            case SCard.sharingViolation: throw .sharingViolation
            case SCard.noService: throw .serviceNotAvailable
            case SCard.noReadersAvailable: throw .noReaders
            default: throw .failure(function: "SCardConnect", status: rv)
            }
        }
        // 3.
        let proto: PCSCTransport.TransmissionProtocol = active == SCard.protocolT0 ? .t0 : .t1
        return PCSCTransport(library: self, reader: reader, context: context, card: card, protocol: proto)
    }

    /// Waits up to `milliseconds` for a card in `reader` (`SCardGetStatusChange`); `true` when a
    /// card is present. Without `SCardGetStatusChange` in the library, answers whether a connect
    /// would find a card now.
    ///
    /// The `SCARD_READERSTATE` array is laid out by hand (pcsc-lite `pcsclite.h`): on Linux
    /// `{ char *szReader; void *pvUserData; unsigned long dwCurrentState, dwEventState, cbAtr;
    /// unsigned char rgbAtr[33]; }` with natural alignment (80 bytes on LP64).
    public func waitForCard(reader: String, milliseconds: Int) throws(PCSCError) -> Bool {
        let context = try newContext()
        defer { _ = releaseContext(context) }
        guard let getStatusChange else { throw .failure(function: "SCardGetStatusChange", status: SCard.success) }
        #if os(Linux)
        let pointer = MemoryLayout<UnsafeRawPointer>.size
        let dword = MemoryLayout<DWORD>.size
        let currentStateOffset = 2 * pointer
        let eventStateOffset = currentStateOffset + dword
        let size = (eventStateOffset + 2 * dword + 33 + 7) / 8 * 8
        let rv: UInt32 = reader.withCString { name in
            let state = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            defer { state.deallocate() }
            state.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            state.storeBytes(of: UnsafeRawPointer(name), toByteOffset: 0, as: UnsafeRawPointer.self)
            state.storeBytes(of: SCard.stateUnaware, toByteOffset: currentStateOffset, as: DWORD.self)
            // First call: learn the current state at once.
            var rv = SCard.code(getStatusChange(context, 0, state, 1))
            guard rv == SCard.success || rv == SCard.timeout else { return rv }
            var event = state.load(fromByteOffset: eventStateOffset, as: DWORD.self)
            if event & SCard.statePresent != 0 || milliseconds <= 0 { return event & SCard.statePresent != 0 ? 0 : SCard.timeout }
            state.storeBytes(of: event, toByteOffset: currentStateOffset, as: DWORD.self)
            rv = SCard.code(getStatusChange(context, DWORD(milliseconds), state, 1))
            guard rv == SCard.success else { return rv }
            event = state.load(fromByteOffset: eventStateOffset, as: DWORD.self)
            return event & SCard.statePresent != 0 ? 0 : SCard.timeout
        }
        switch rv {
        case SCard.success: return true
        case SCard.timeout: return false
        case SCard.unknownReader, SCard.readerUnavailable: throw .unknownReader(reader)
        default: throw .failure(function: "SCardGetStatusChange", status: rv)
        }
        #else
        throw .failure(function: "SCardGetStatusChange", status: SCard.success)
        #endif
    }
}

/// A card in a PC/SC reader as a ``CardTransport``.
///
/// `SCardTransmit` blocks the calling thread for the duration of one command (milliseconds for
/// JPKI, up to about a second for an RSA signature); calls are serialised by a mutex, as one
/// card handle must not be used by two threads at once.
public final class PCSCTransport: CardTransport, Sendable {
    public enum TransmissionProtocol: String, Sendable { case t0, t1 }

    public let reader: String
    public let transmissionProtocol: TransmissionProtocol
    private let library: PCSCLibrary
    private struct Handles: Sendable {
        var context: LONG
        var card: LONG
        var open: Bool
    }
    private let handles: Mutex<Handles>

    init(library: PCSCLibrary, reader: String, context: LONG, card: LONG, protocol: TransmissionProtocol) {
        self.library = library
        self.reader = reader
        self.transmissionProtocol = `protocol`
        self.handles = Mutex(Handles(context: context, card: card, open: true))
    }

    deinit { disconnect() }

    /// Leaves the card as it is (`SCARD_LEAVE_CARD`) and releases the context. Idempotent.
    public func disconnect() {
        let library = self.library
        handles.withLock { h in
            guard h.open else { return }
            h.open = false
            _ = library.disconnect(h.card, SCard.leaveCard)
            _ = library.releaseContext(h.context)
        }
    }

    /// Sends one command APDU with `SCardTransmit` and the PCI of the active protocol.
    /// A PC/SC failure becomes ``CardError/transport(_:)`` naming the `SCARD_*` code.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let library = self.library
        let pci = transmissionProtocol == .t0 ? library.pciT0 : library.pciT1
        let send = command.bytes
        let result: Result<[UInt8], CardError> = handles.withLock { h in
            guard h.open else { return .failure(.transport("PC/SC connection closed")) }
            var receive = [UInt8](repeating: 0, count: CommandAPDU.maximumResponseLength + 2)
            var length = DWORD(receive.count)
            let rv = SCard.code(
                send.withUnsafeBufferPointer { s in
                    receive.withUnsafeMutableBufferPointer { r in
                        library.transmit(h.card, pci, s.baseAddress, DWORD(s.count), nil, r.baseAddress, &length)
                    }
                })
            guard rv == SCard.success else { return .failure(.transport("SCardTransmit: \(SCard.name(rv))")) }
            return .success(Array(receive.prefix(Int(min(length, DWORD(receive.count))))))
        }
        return try ResponseAPDU(bytes: try result.get())
    }
}

/// The PC/SC entry points on the system library (``PCSCLibrary/defaultPath``), loaded once.
public enum PCSC {
    private static let cache = Mutex<PCSCLibrary?>(nil)

    /// The system's PC/SC library, loaded on first use and kept; a failed load is retried next time.
    public static func library() throws(PCSCError) -> PCSCLibrary {
        let result: Result<PCSCLibrary, PCSCError> = cache.withLock { cached in
            if let cached { return .success(cached) }
            do throws(PCSCError) {
                let loaded = try PCSCLibrary.load()
                cached = loaded
                return .success(loaded)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The names of the connected readers (see ``PCSCLibrary/readers()``).
    public static func readers() throws(PCSCError) -> [String] { try library().readers() }

    /// Connects to the card in `reader`, or in the first reader when `reader` is nil.
    public static func connect(reader: String? = nil) throws(PCSCError) -> PCSCTransport {
        let library = try library()
        let name: String
        if let reader {
            name = reader
        } else {
            guard let first = try library.readers().first else { throw .noReaders }
            name = first
        }
        return try library.connect(reader: name)
    }
}
