import Foundation
@testable import Prober
import Synchronization

/// A clock tests move by hand: stall detection and schedules see time pass without waiting.
/// `sleep` moves the clock by the requested duration and returns at once.
final class ManualCheckClock: CheckClock {
    private let state = Mutex<(seconds: Double, date: Date)>((1_000, Date(timeIntervalSince1970: 1_800_000_000)))

    var seconds: Double { state.withLock { $0.seconds } }
    var date: Date { state.withLock { $0.date } }

    /// Moves monotonic and wall time forward together.
    func advance(by seconds: Double) {
        state.withLock { $0.seconds += seconds; $0.date += seconds }
    }

    func sleep(for duration: Duration) async throws {
        advance(by: duration.seconds)
        await Task.yield()
    }
}
