import Foundation

/// Where blocking work waits: a child program's run, a pipe drain, a kill timer, a libcurl transfer.
///
/// Not `DispatchQueue.global()`, nor a concurrent queue made without a target: on Linux the Swift
/// cooperative pool *is* libdispatch's default global queue (threads `com.apple.root.default-qos`,
/// one per core), and every such queue runs there. Work blocking on it held a pool thread for its
/// whole length, and a timer queued there waited behind whatever held the others: with both
/// threads of a 2-core CI machine computing for 35 s, a `sleep 30` with a 300 ms limit ended by
/// itself (`ToolRunPoolTests` reproduces it: the kill came after 240 s). libdispatch's monitor adds
/// a thread to that pool only when its threads block (about one a second), never when they compute.
///
/// A serial queue targets the overcommit root queue, which starts a thread whenever none is free.
/// So every piece of blocking work gets a serial queue of its own, and its caller bounds how many
/// run at once (the prober's check slots, the notifier's deliveries in flight), which bounds the
/// threads.
package enum BlockingQueue {
    /// A new serial queue for one piece of blocking work.
    package static func own(_ label: String) -> DispatchQueue { DispatchQueue(label: "cctv-out.\(label)") }
}
