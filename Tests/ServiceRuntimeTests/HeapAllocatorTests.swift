import CCTVContract
import CJemalloc
import Foundation
import Logging
import Testing
import TestSupport
@testable import ServiceRuntime

/// jemalloc is every process's malloc (linked in through CJemalloc, as in `cctv-out`), purging
/// really returns its dirty pages, and the private mosquitto runs on it too.
@Suite("the allocator is jemalloc")
struct HeapAllocatorTests {
    @Test("malloc resolves to Debian's libjemalloc, and the name says which version")
    func linked() {
        #expect(HeapAllocator.isJemalloc)
        #expect(HeapAllocator.name.hasPrefix("jemalloc 5."), "\(HeapAllocator.name)")
        #expect(HeapAllocator.libraryPath.map { FileManager.default.fileExists(atPath: $0) } == true, "\(HeapAllocator.libraryPath ?? "nil")")
        #expect(HeapAllocator.preloadEnvironment["LD_PRELOAD"] == HeapAllocator.libraryPath || getenv("LD_PRELOAD") != nil)
    }

    @Test("returning free memory purges the dirty pages of every arena")
    func purge() throws {
        // An arena of our own, so the parallel tests' allocations cannot change what we count.
        var arena: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        try #require(mallctl("arenas.create", &arena, &size, nil, 0) == 0)
        // Its dirty pages never decay by themselves (otherwise part goes back at once, part later),
        // so only the purge can return them.
        var never = -1
        try #require(mallctl("arena.\(arena).dirty_decay_ms", nil, nil, &never, MemoryLayout<Int>.size) == 0)
        // MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE: function-like macros Swift does not import.
        let flags = Int32(bitPattern: (arena + 1) << 20) | (1 << 8)
        let blocks = (0..<96).compactMap { _ in mallocx(1 << 20, flags) }
        try #require(blocks.count == 96)
        for block in blocks { memset(block, 1, 1 << 20) }
        for block in blocks { dallocx(block, flags) }

        func dirtyPages() -> Int {
            var epoch: UInt64 = 1
            _ = mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size)
            var pages = 0
            var size = MemoryLayout<Int>.size
            _ = mallctl("stats.arenas.\(arena).pdirty", &pages, &size, nil, 0)
            return pages
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let before = dirtyPages() * pageSize
        #expect(before >= 90 << 20, "96 MB freed stays dirty in the arena until the purge: \(before) bytes")
        HeapAllocator.returnFreeMemory()
        #expect(dirtyPages() == 0, "after the purge nothing is left dirty")
    }

    @Test("the private mosquitto runs on jemalloc too")
    func privateBrokerPreloaded() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("allocator-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = BrokerConfiguration()
        configuration.port = try FreePort.find()
        var logger = Logger(label: "test.allocator")
        logger.logLevel = .warning
        let broker = try await PrivateBroker.start(configuration: configuration, dataDir: folder, topics: Topics(),
                                                   services: BrokerAccount.service("registry", role: .registry, instance: "allocator"), logger: logger)
        defer { broker.stop() }
        let command = (FileManager.default.contents(atPath: "/proc/\(broker.pid)/cmdline") ?? Data()).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(command.first?.hasSuffix("mosquitto") == true, "\(command)")
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(broker.pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        #expect(maps.contains("libjemalloc"), "mosquitto's memory map names libjemalloc")
    }
}
