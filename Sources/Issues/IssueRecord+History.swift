import CCTVContract
import Foundation

extension IssueRecord {
    /// Appends a step to the history (keeping the last 50), bumps the version and the update time.
    mutating func record(_ transition: IssueTransition) {
        history.append(transition)
        if history.count > 50 { history.removeFirst(history.count - 50) }
        updatedAt = transition.at
        version += 1
    }
}
