import CCTVContract

/// One camera definition kept by reference, so the prober's membership and its schedules share
/// one copy instead of each holding the whole `CameraDefinition` (~400 bytes) inline in its
/// dictionary buckets.
///
/// Why: at 100,000 cameras a Swift dictionary has 262,144 buckets (load factor 3/4), so every
/// inline copy cost ~110 MB, allocated or not (heaptrack at 20,000 cameras: 15.2 MB for the ICMP
/// schedule's buckets, 13.9 MB for the membership's definitions; 464 and 424 bytes a bucket).
/// Held by reference, a bucket is 24 bytes and the definition is allocated once (424 bytes).
package final class HeldDefinition: Sendable {
    /// The definition as the registry published it (or as a schedule adjusted it).
    package let definition: CameraDefinition

    package init(_ definition: CameraDefinition) { self.definition = definition }
}
