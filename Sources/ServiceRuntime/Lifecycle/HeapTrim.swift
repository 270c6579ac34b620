import ServiceLifecycle

/// Gives the memory the allocator holds free back to the system every `every`
/// (``HeapAllocator/returnFreeMemory()``), until the graceful shutdown.
///
/// Why: allocators keep freed memory for reuse, so a burst (a 100,000-row import, a storm of
/// results) can leave the process at its high-water mark. With glibc's allocator this was the
/// only way back: `serve` with 100,000 cameras, 4 minutes after their import, 647 MB resident of
/// which 299 MB in use; one `malloc_trim(0)` brought it to 408 MB. jemalloc decays dirty pages by
/// itself within ~10 s of allocator activity; the minute's purge covers arenas that went quiet.
package struct HeapTrim: Service {
    let every: Duration

    package init(every: Duration = .seconds(60)) { self.every = every }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: every) } } catch { return }
            HeapAllocator.returnFreeMemory()
        }
    }
}
