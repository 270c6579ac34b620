import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The data folder holds camera credentials, accounts and the broker's store: only the user running
/// cctv-out may read it. Folders are 0700, files 0600, whatever the caller's umask.
package enum DataFolder {
    /// Makes files and folders this process creates from now on private (umask 077): SQLite's
    /// `-wal`/`-shm` companions and the broker's store are created later, by code we do not call.
    package static func restrictNewFiles() {
        umask(0o077)
    }

    /// Creates `path` (and parents) if needed and makes it 0700.
    package static func prepare(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    /// Makes existing files private (a data folder written by an older version, or copied in).
    package static func restrict(files paths: [String]) {
        for path in paths where FileManager.default.fileExists(atPath: path) { chmod(path, 0o600) }
    }

    /// When `path` was last written (nanoseconds kept), or nil when it does not exist.
    package static func modificationDate(of path: String) -> Date? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// The permission bits of `path`, or nil when it does not exist.
    package static func mode(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o777)
    }
}

/// Writing a file that holds secrets: created 0600 under a temporary name, then renamed over the
/// old one, so no reader ever sees it half written or readable by others.
package enum PrivateFile {
    /// Writes `data` to `path` with mode 0600.
    package static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: temporary, errno: errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue }; failure = errno; return }
                offset += written
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else { unlink(temporary); throw PrivateFileError(path: temporary, errno: failure) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw PrivateFileError(path: path, errno: code)
        }
    }
}

/// A private file could not be written.
package struct PrivateFileError: Error, CustomStringConvertible {
    package let path: String
    package let errno: Int32
    package var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
