import Foundation
import Testing
@testable import Gateway

@Suite("sign-in throttle (pure, clock passed in)")
struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("five failures for a name lock it, the lock-out doubles with more failures, and a window later it is forgotten")
    func perAccount() {
        var throttle = LoginThrottle()
        for second in 0..<4 { throttle.failed(account: "Admin", address: "10.0.0.1", now: start.addingTimeInterval(Double(second))) }
        #expect(throttle.lockedUntil(account: "admin", address: "10.0.0.9", now: start.addingTimeInterval(4)) == nil)
        throttle.failed(account: "admin", address: "10.0.0.2", now: start.addingTimeInterval(4))
        let first = throttle.lockedUntil(account: "ADMIN", address: "10.0.0.9", now: start.addingTimeInterval(5))
        #expect(first == start.addingTimeInterval(4 + 30), "names are compared without case; 30 s after the 5th failure")
        throttle.failed(account: "admin", address: "10.0.0.3", now: start.addingTimeInterval(40))
        #expect(throttle.lockedUntil(account: "admin", address: nil, now: start.addingTimeInterval(41)) == start.addingTimeInterval(40 + 60))
        #expect(throttle.lockedUntil(account: "admin", address: nil, now: start.addingTimeInterval(3600)) == nil)
        throttle.failed(account: "admin", address: nil, now: start.addingTimeInterval(3600))
        #expect(throttle.lockedUntil(account: "admin", address: nil, now: start.addingTimeInterval(3601)) == nil, "old failures fell out of the window")
    }

    @Test("twenty failures from one address lock every name from it; a success clears the name, not the address")
    func perAddress() {
        var throttle = LoginThrottle()
        for index in 0..<20 { throttle.failed(account: "guess-\(index)", address: "10.9.9.9", now: start) }
        #expect(throttle.lockedUntil(account: "someone", address: "10.9.9.9", now: start) != nil)
        #expect(throttle.lockedUntil(account: "someone", address: "10.1.1.1", now: start) == nil)
        throttle.succeeded(account: "guess-1")
        #expect(throttle.lockedUntil(account: "guess-1", address: "10.9.9.9", now: start) != nil)
    }

    @Test("memory stays bounded when names are cycled")
    func bounded() {
        var policy = LoginThrottle.Policy()
        policy.maxKeys = 1000
        var throttle = LoginThrottle(policy: policy)
        for index in 0..<5000 { throttle.failed(account: "n\(index)", address: "10.0.\(index % 200).1", now: start.addingTimeInterval(Double(index))) }
        #expect(throttle.records.count <= 1000)
    }
}
