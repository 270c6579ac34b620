import Foundation
import CJemalloc
#if canImport(Glibc)
import Glibc
#endif

/// The process's malloc: jemalloc, linked into every `cctv-out` process (CJemalloc), and preloaded
/// into the private mosquitto.
///
/// Why: glibc's allocator keeps each thread arena's high-water mark, so the many threads of a
/// service process (NIO, Dispatch, libmosquitto, ICMP receivers) each hold a burst's worth of
/// freed memory; limiting it to 2 arenas and a `malloc_trim` every minute only narrowed that.
/// jemalloc returns dirty pages on its own after ~10 s (`dirty_decay_ms`). `serve` with 50,000
/// cameras (ICMP every 60 s), release, side by side with glibc and 2 arenas
/// (`scripts/bench-serve.sh 50000 60 150`, two at once): linked, 2026-12-02: serve 79.1 vs 84.9 %
/// of one core (lower in every sample), 214 MB mean in both, mosquitto 118 vs 125 MB; preloaded
/// into the same binary, 2026-12-01: together 313 vs 358 MB, 69.4 vs 71.9 %.
/// 100,000 cameras, one after the other (2026-12-02): together 599 → 539 vs 640 → 606 MB (serve
/// 335 vs 362 MB mean, mosquitto 224 vs 241 MB), serve 103.8 vs 107.1 %.
/// `MALLOC_CONF=narenas:2,background_thread:true` did not help (330 vs 324 MB, same CPU), so
/// jemalloc runs with its defaults. Small fleets pay a little for its arenas: one hour with 2,000
/// cameras every 10 s beside glibc (2026-12-02): together 103–106 vs 96–100 MB, both flat.
package enum HeapAllocator {
    /// Whether `malloc` resolves to jemalloc (it does unless something is preloaded before it).
    package static let isJemalloc: Bool = libraryPath != nil

    /// Debian's jemalloc (`libjemalloc2`), the library `link "jemalloc"` resolves to.
    private static let soname = "libjemalloc.so.2"

    /// The shared library that provides `malloc` when it is jemalloc's, else nil.
    package static let libraryPath: String? = {
        #if canImport(Glibc)
        // Already loaded when linked (RTLD_NOLOAD never loads it); its malloc must be the one calls resolve to.
        guard let library = dlopen(soname, RTLD_NOW | RTLD_NOLOAD) else { return nil }
        defer { dlclose(library) }
        guard let malloc = dlsym(library, "malloc"), malloc == dlsym(dlopen(nil, RTLD_NOW), "malloc") else { return nil }
        // Read to the end: String(contentsOfFile:) stops after the first 4,021 bytes of a /proc file.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        return maps.split(separator: "\n").lazy.compactMap { $0.split(separator: " ").last.map(String.init) }.first { $0.hasSuffix("/" + soname) }
        #else
        return nil
        #endif
    }()

    /// For logs: `jemalloc 5.3.0-0-g…`, or `glibc` when jemalloc is not the malloc.
    package static let name: String = {
        guard isJemalloc else { return "glibc" }
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "jemalloc" }
        return "jemalloc " + String(cString: version)
    }()

    /// The environment that makes a child program (mosquitto) allocate with jemalloc too; empty
    /// when we do not run on jemalloc or the operator already preloads something.
    package static var preloadEnvironment: [String: String] {
        guard let libraryPath, getenv("LD_PRELOAD") == nil else { return [:] }
        return ["LD_PRELOAD": libraryPath]
    }

    /// Returns the memory jemalloc holds free to the system now: every arena purged
    /// (`arena.<all>.purge`). Nothing when another malloc was preloaded in front of it.
    package static func returnFreeMemory() {
        guard isJemalloc else { return }
        _ = mallctl("arena.\(MALLCTL_ARENAS_ALL).purge", nil, nil, nil, 0)
    }
}
