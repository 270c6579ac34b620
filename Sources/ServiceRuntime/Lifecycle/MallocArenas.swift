#if canImport(Glibc)
import Glibc
#endif

/// How many heaps (arenas) glibc's allocator may keep for the process's threads.
///
/// Why: glibc gives threads up to 8 arenas per core, and each keeps its own free memory, so the
/// many threads of a service process (NIO, Dispatch, libmosquitto, ICMP receivers) hold several
/// high-water marks at once. `serve` with 50,000 cameras (ICMP every 60 s), two runs side by side:
/// default arenas 308 → 299 MB resident, 2 arenas 274 → 266 MB, at the same checks per second
/// (832 vs 837/s) and CPU (67.4 vs 67.3 % of one core) (`scripts/bench-serve.sh 50000 60 120`,
/// 2026-12-01). Earlier, without the ICMP capacity fix, the count of checks differed and no
/// conclusion could be drawn.
package enum MallocArenas {
    /// Arenas when `MALLOC_ARENA_MAX` does not say otherwise.
    package static let defaultLimit = 2

    /// Limits the arenas, unless the environment already sets `MALLOC_ARENA_MAX` (glibc read it at
    /// start, and an operator's choice wins). Call first thing, before threads allocate.
    package static func limit(to arenas: Int = defaultLimit) {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil,
              let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        // `mallopt` and `M_ARENA_MAX` (-8) are in malloc.h, which the Glibc module does not include.
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(-8, Int32(arenas))
        #endif
    }
}
