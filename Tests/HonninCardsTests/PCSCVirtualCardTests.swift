#if canImport(Glibc)
import Dispatch
import Foundation
import Glibc
import HonninCards
import HonninTesting
import HonninCore
import HonninPCSC
import Synchronization
import Testing

/// The real PC/SC path, card simulated: `pcscd` with Debian's `vsmartcard-vpcd` reader driver,
/// and the JPKI card simulator plugged into it as a virtual card over TCP.
///
/// Enabled when `HONNIN_PCSC_VPCD=1` (CI: `apt-get install pcscd vsmartcard-vpcd`, start
/// `pcscd -f`, export the variable). vpcd's protocol (vsmartcard documentation): the virtual card
/// connects to 127.0.0.1:35963; each message is a 2-byte big-endian length and a payload, either
/// one control byte (00 power off, 01 power on, 02 reset, 04 ask for the ATR) or a command APDU,
/// answered by the response APDU.
@Suite("PC/SC through pcscd + vpcd to the card simulator", .enabled(if: ProcessInfo.processInfo.environment["HONNIN_PCSC_VPCD"] == "1"))
struct PCSCVirtualCardTests {
    /// Connects the simulator to vpcd and serves it on a thread of its own until the socket closes.
    final class Bridge: Sendable {
        let fd: Int32
        let simulator: JPKICardSimulator

        init(simulator: JPKICardSimulator, port: UInt16 = 35963) throws {
            self.simulator = simulator
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { Glibc.close(fd); throw CardError.transport("vpcd not reachable on port \(port)") }
            Thread.detachNewThread { [self] in serve() }
        }

        func close() { shutdown(fd, Int32(SHUT_RDWR)) }

        private func read(_ n: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, n - got, 0) }
                if r <= 0 { return nil }
                got += r
            }
            return out
        }

        private func write(_ payload: [UInt8]) {
            let message = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
            // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE that ends the test process.
            _ = message.withUnsafeBytes { send(fd, $0.baseAddress, message.count, Int32(MSG_NOSIGNAL)) }
        }

        private func serve() {
            while let header = read(2), let payload = read(Int(header[0]) << 8 | Int(header[1])) {
                if payload.count == 1 {
                    if payload[0] == 0x04 { write([0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]) }  // ATR, notes §1.1
                    if payload[0] == 0x01 || payload[0] == 0x02 { blocking { await self.simulator.reset() } }
                    continue
                }
                guard let command = try? CommandAPDU(bytes: payload) else { write([0x67, 0x00]); continue }
                let response = blocking { () async -> [UInt8] in
                    (try? await self.simulator.transmit(command).bytes) ?? [0x6F, 0x00]
                }
                write(response)
            }
            Glibc.close(fd)
        }

        private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
            let box = Mutex<T?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                let value = await body()
                box.withLock { $0 = value }
                done.signal()
            }
            done.wait()
            return box.withLock { $0! }
        }
    }

    @Test("readers, connect, token info, certificates, PIN and signature through pcscd")
    func wholePath() async throws {
        let simulator = CardFixtures.simulator()
        let bridge = try Bridge(simulator: simulator)
        defer { bridge.close() }
        let reader = try #require(PCSC.readers().first { $0.hasPrefix("Virtual PCD") })
        var present = false
        // Up to 15 s: pcscd polls the vpcd reader, slowly on a busy machine.
        for _ in 0..<60 where !present {
            present = try PCSCLibrary.load().waitForCard(reader: reader, milliseconds: 250)
        }
        #expect(present)
        let transport = try PCSC.connect(reader: reader)
        defer { transport.disconnect() }
        let card = JPKICard(transport: transport)
        #expect(try await card.tokenInfo() == "JPKIAPICCTOKEN2")
        let configuration = CardFixtures.configuration()
        #expect(try await card.certificate(.userAuthenticationCA) == configuration.userAuthenticationCACertificate)
        #expect(try await card.certificate(.signature, pin: Redacted("ABC123")) == configuration.signatureCertificate)
        await #expect(throws: CardError.pin(.wrong(triesLeft: 4))) { try await card.verify(.signature, Redacted("WRONG9")) }
        let digestInfo = DigestInfo.sha256(Array(repeating: 0x5A, count: 32))
        let signature = try await card.sign(digestInfo: digestInfo, with: .signature, pin: Redacted("ABC123"))
        #expect(signature.count == 256)
        #expect(await simulator.commands.contains { $0.ins == 0x2A && $0.data == digestInfo })
    }
}
#endif
