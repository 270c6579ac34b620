/// Binary min-heap ordered by deadline, FIFO among equal deadlines.
///
/// One queue serviced by one scheduler thread replaces "one timer per probe":
/// push/pop are O(log n) and 100,000 entries cost ~3 MB, so a full sweep of
/// outstanding probes stays cheap. Cancelled entries are not removed eagerly;
/// the consumer checks a token when the entry surfaces (lazy deletion), which
/// keeps replies O(1) on the receive path.
public struct DeadlineQueue<Element> {
    @usableFromInline
    struct Entry {
        var deadline: UInt64
        var order: UInt64
        var element: Element
    }

    @usableFromInline var heap: [Entry] = []
    @usableFromInline var nextOrder: UInt64 = 0

    /// Creates an empty queue.
    public init() {}

    /// Number of queued entries (including lazily-cancelled ones).
    public var count: Int { heap.count }

    /// True when nothing is queued.
    public var isEmpty: Bool { heap.isEmpty }

    /// Earliest deadline, if any.
    public var nextDeadline: UInt64? { heap.first?.deadline }

    /// Pre-sizes storage (avoids regrowth during a large sweep).
    public mutating func reserveCapacity(_ n: Int) { heap.reserveCapacity(n) }

    /// Adds `element` due at `deadline` (monotonic ns).
    public mutating func push(_ element: Element, deadline: UInt64) {
        heap.append(Entry(deadline: deadline, order: nextOrder, element: element))
        nextOrder &+= 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest entry if its deadline is `<= now`.
    public mutating func popDue(now: UInt64) -> Element? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        return popFirst()
    }

    /// Removes and returns the earliest entry regardless of its deadline.
    public mutating func popFirst() -> Element? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return top.element
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heap[a], y = heap[b]
        return x.deadline != y.deadline ? x.deadline < y.deadline : x.order < y.order
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let n = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { return }
            var best = left
            if left + 1 < n && less(left + 1, left) { best = left + 1 }
            guard less(best, parent) else { return }
            heap.swapAt(best, parent)
            parent = best
        }
    }
}
