import CCTVContract
import Foundation
import Synchronization

/// The notifier's team directory as last published (`notifier/directory`, retained): a camera or an
/// import row naming a line team or vendor the notifier does not know is refused, naming the field,
/// instead of falling back silently to a default team. Before any directory arrived (no notifier
/// has run yet) every team id is accepted.
package final class TeamDirectoryHolder: Sendable {
    private let directory = Mutex<TeamDirectory?>(nil)

    package init(_ initial: TeamDirectory? = nil) { directory.withLock { $0 = initial } }

    /// The directory now, if one arrived.
    package var current: TeamDirectory? { directory.withLock { $0 } }

    /// Takes a newly published directory.
    package func update(_ new: TeamDirectory) { directory.withLock { $0 = new } }

    /// Refuses `camera` when it names an unknown line team or vendor.
    /// - Throws: ``ContractError`` `unknown_team` with the field and the known ids.
    package func check(_ camera: CameraInput) throws(ContractError) {
        try current?.check(lineTeam: camera.lineTeam, vendor: camera.vendor)
    }
}
