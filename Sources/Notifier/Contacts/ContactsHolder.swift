import CCTVContract
import Foundation
import Synchronization

/// The contacts in force, shared by routing, the delivery loop and the commands: replaced as a
/// whole when an operator saves new ones, so a change applies without a restart.
package final class ContactsHolder: Sendable {
    private let book: Mutex<ContactBook>

    package init(_ book: ContactBook) { self.book = Mutex(book) }

    /// The contacts now.
    package var current: ContactBook { book.withLock { $0 } }

    /// Routing over the contacts now.
    package var routing: NotificationRouting { NotificationRouting(book: current) }

    /// Puts `new` in force.
    package func replace(_ new: ContactBook) { book.withLock { $0 = new } }
}

extension ContactBook {
    /// The teams as cameras and the registry see them: ids, roles, channel counts, defaults.
    package var directory: TeamDirectory {
        TeamDirectory(teams: teams.map { .init(id: $0.id, name: $0.name, role: $0.role.rawValue, channels: $0.channels.count) },
                      defaults: defaults ?? [:], siteDefaults: siteDefaults ?? [:])
    }

    /// The contacts with every secret (webhook secret, bot token, SMTP password) replaced by
    /// ``NotifierCommand/storedSecret``: safe to show, export and send back.
    package func redacted() -> ContactBook {
        var copy = self
        for t in copy.teams.indices {
            for c in copy.teams[t].channels.indices {
                if copy.teams[t].channels[c].secret != nil { copy.teams[t].channels[c].secret = NotifierCommand.storedSecret }
                if copy.teams[t].channels[c].token != nil { copy.teams[t].channels[c].token = NotifierCommand.storedSecret }
                if copy.teams[t].channels[c].password != nil { copy.teams[t].channels[c].password = NotifierCommand.storedSecret }
            }
        }
        return copy
    }

    /// The contacts with each ``NotifierCommand/storedSecret`` replaced by the secret `stored` has
    /// for the same channel id.
    /// - Throws: ``ContactsError`` naming the channel whose secret is not stored (a new channel).
    package func restoringSecrets(from stored: ContactBook) throws(ContactsError) -> ContactBook {
        var copy = self
        for t in copy.teams.indices {
            for c in copy.teams[t].channels.indices {
                let id = copy.teams[t].channels[c].id
                let old = stored.channel(id)?.channel
                func restore(_ value: String?, _ previous: String?, _ field: String) throws(ContactsError) -> String? {
                    guard value == NotifierCommand.storedSecret else { return value }
                    guard let previous else {
                        throw .invalid(path: "", entry: "teams[\(t)] (id \(copy.teams[t].id.debugDescription)).channels[\(c)] (id \(id.debugDescription)).\(field)",
                                       problem: "no \(field) is stored for this channel: enter it")
                    }
                    return previous
                }
                copy.teams[t].channels[c].secret = try restore(copy.teams[t].channels[c].secret, old?.secret, "secret")
                copy.teams[t].channels[c].token = try restore(copy.teams[t].channels[c].token, old?.token, "token")
                copy.teams[t].channels[c].password = try restore(copy.teams[t].channels[c].password, old?.password, "password")
            }
        }
        return copy
    }

    /// Reads and validates contacts from JSON (the contacts file's format).
    /// - Throws: ``ContactsError`` naming the entry at fault.
    package static func decode(_ data: Data, source: String = "") throws(ContactsError) -> ContactBook {
        guard data.count <= maxFileBytes else { throw .invalid(path: source, entry: "file", problem: "larger than \(maxFileBytes) bytes") }
        let book: ContactBook
        do {
            book = try JSONDecoder().decode(ContactBook.self, from: data)
        } catch let error as DecodingError {
            throw .invalid(path: source, entry: describe(error).entry, problem: describe(error).problem)
        } catch {
            throw .invalid(path: source, entry: "file", problem: "not JSON: \(error)")
        }
        do { try book.validate() } catch {
            guard case let .invalid(_, entry, problem) = error else { throw error }
            throw .invalid(path: source, entry: entry, problem: problem)
        }
        return book
    }

    /// The contacts as pretty JSON (sorted keys), as the file is written.
    package func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
