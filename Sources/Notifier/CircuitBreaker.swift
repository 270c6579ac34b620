import Foundation
import Synchronization

/// One endpoint's circuit breaker: after `threshold` consecutive failures it opens and the
/// endpoint's deliveries wait (without using up attempts) until `coolDown` has passed; then one
/// probe is let through (half-open): success closes it, failure opens it again.
package struct CircuitBreaker: Sendable, Equatable {
    /// Closed (counting consecutive failures), open until a time, or half-open with one probe out.
    package enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Date)
        case halfOpen
    }

    /// What the delivery loop may do with an endpoint's next delivery.
    package enum Admission: Sendable, Equatable {
        /// Send it.
        case allow
        /// Send it as the single half-open probe.
        case probe
        /// Do not send; leave the delivery pending until then, attempts untouched.
        case wait(until: Date)
    }

    /// Consecutive failures that open the breaker.
    package let threshold: Int
    /// Seconds the breaker stays open before the probe.
    package let coolDown: TimeInterval
    package private(set) var state: State = .closed(failures: 0)

    package init(threshold: Int, coolDown: TimeInterval) {
        self.threshold = threshold
        self.coolDown = coolDown
    }

    /// Whether a delivery may go now.
    package mutating func admit(now: Date) -> Admission {
        switch state {
        case .closed: return .allow
        case let .open(until):
            guard now >= until else { return .wait(until: until) }
            state = .halfOpen
            return .probe
        case .halfOpen:
            // The probe is in flight: the others wait a moment, not a full cool-down.
            return .wait(until: now.addingTimeInterval(min(1, coolDown)))
        }
    }

    /// Records an attempt's outcome; returns whether this opened the breaker.
    /// A permanent failure (e.g. HTTP 404) proves the endpoint answers, so it counts as alive.
    @discardableResult
    package mutating func record(_ outcome: DeliveryOutcome, now: Date) -> Bool {
        switch outcome {
        case .delivered, .failed(_, _, permanent: true):
            state = .closed(failures: 0)
            return false
        case .failed:
            switch state {
            case .halfOpen:
                state = .open(until: now.addingTimeInterval(coolDown))
                return true
            case let .closed(failures) where failures + 1 >= threshold:
                state = .open(until: now.addingTimeInterval(coolDown))
                return true
            case let .closed(failures):
                state = .closed(failures: failures + 1)
                return false
            case .open:
                return false
            }
        }
    }
}

/// The breakers of every endpoint (keyed by channel id), shared by the concurrent deliveries.
/// Kept in memory: after a restart every endpoint starts closed, which costs at most
/// `threshold` attempts against a still-dead endpoint.
package final class EndpointBreakers: Sendable {
    private let breakers = Mutex<[String: CircuitBreaker]>([:])
    let threshold: Int
    let coolDown: TimeInterval

    package init(threshold: Int, coolDown: TimeInterval) {
        self.threshold = threshold
        self.coolDown = coolDown
    }

    /// See ``CircuitBreaker/admit(now:)``.
    package func admit(_ endpoint: String, now: Date = Date()) -> CircuitBreaker.Admission {
        breakers.withLock { all in
            var breaker = all[endpoint] ?? CircuitBreaker(threshold: threshold, coolDown: coolDown)
            let admission = breaker.admit(now: now)
            all[endpoint] = breaker
            return admission
        }
    }

    /// See ``CircuitBreaker/record(_:now:)``.
    @discardableResult
    package func record(_ endpoint: String, _ outcome: DeliveryOutcome, now: Date = Date()) -> Bool {
        breakers.withLock { all in
            var breaker = all[endpoint] ?? CircuitBreaker(threshold: threshold, coolDown: coolDown)
            let opened = breaker.record(outcome, now: now)
            all[endpoint] = breaker
            return opened
        }
    }

    /// The state of one endpoint's breaker (closed when never used).
    package func state(_ endpoint: String) -> CircuitBreaker.State {
        breakers.withLock { $0[endpoint]?.state ?? .closed(failures: 0) }
    }
}
