import Foundation
import HonninCore

#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Musl)
import Musl
private let posixWrite = Musl.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// Crash-safe file writes: temporary file, `fsync`, `rename`, then `fsync` of the directory,
/// so after a power loss the file is either absent or whole.
public enum DurableFile {
    public static func makeDirectory(_ url: URL, mode: mode_t) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw HonninError(.configuration, "\(url.path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(mode)])
        } catch {
            throw HonninError(.configuration, "cannot create directory \(url.path): \(error)")
        }
        syncDirectory(url.deletingLastPathComponent())
    }

    public static func write(_ bytes: [UInt8], to url: URL, mode: mode_t) throws {
        let tmp = url.path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw HonninError(.storage, "cannot create \(tmp): errno \(errno)") }
        var ok = true
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = posixWrite(fd, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 {
                    ok = false
                    return
                }
                offset += n
            }
        }
        if ok { ok = fsync(fd) == 0 }
        close(fd)
        guard ok, rename(tmp, url.path) == 0 else {
            unlink(tmp)
            throw HonninError(.storage, "cannot write \(url.path): errno \(errno)")
        }
        syncDirectory(url.deletingLastPathComponent())
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
