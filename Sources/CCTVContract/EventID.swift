import Foundation
import Synchronization

/// Fresh envelope ids: random (version 4) UUIDs in `UUID().uuidString`'s upper-case text.
///
/// Foundation's `UUID()` cost 14 µs a call on Linux in a micro-benchmark (release, loaded 2-core
/// machine, 2026-12-01) and a 100,000-camera import makes 200,000 envelopes; but in `serve` during
/// such an import it was only 1.38 % of the samples, and this pool 1.29 % (`perf`): the pool is
/// refilled with one `getrandom` per 8 bytes, about as many system calls as `UUID()` makes.
/// Filling it with one call per 4 KiB is the next step.
public enum EventID {
    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 4096
    }

    private static let pool = Mutex(Pool())

    /// A new random UUID's text, e.g. `6F1C2A4E-0B3D-4E5F-9A1B-2C3D4E5F6A7B`.
    public static func random() -> String {
        var uuid = [UInt8](repeating: 0, count: 16)
        pool.withLock { pool in
            if pool.used + 16 > pool.bytes.count {
                var generator = SystemRandomNumberGenerator()
                pool.bytes.withUnsafeMutableBytes { raw in
                    for index in stride(from: 0, to: raw.count, by: 8) { raw.storeBytes(of: generator.next() as UInt64, toByteOffset: index, as: UInt64.self) }
                }
                pool.used = 0
            }
            for index in 0..<16 { uuid[index] = pool.bytes[pool.used + index] }
            pool.used += 16
        }
        uuid[6] = uuid[6] & 0x0F | 0x40  // version 4
        uuid[8] = uuid[8] & 0x3F | 0x80  // RFC 4122 variant
        return text(of: uuid)
    }

    /// The 36-character upper-case text of 16 bytes, as `UUID.uuidString` writes it.
    static func text(of uuid: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var at = 0
            for (index, byte) in uuid.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { buffer[at] = UInt8(ascii: "-"); at += 1 }
                buffer[at] = digits[Int(byte >> 4)]
                buffer[at + 1] = digits[Int(byte & 0x0F)]
                at += 2
            }
            return at
        }
    }
}
