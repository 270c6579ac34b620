import Foundation
import ServiceRuntime

/// The contact book in force, kept in the notifier's database with the hash of its source.
extension DeliveryStore {
    /// The stored contacts and the hash of the file/settings they were last imported from.
    package func storedContacts() throws -> (book: ContactBook, sourceHash: String)? {
        try database.read { db in
            guard let row = try db.row("SELECT json, sourceHash FROM contacts WHERE id = 1"), let json = row.data("json"),
                  let book = try? JSONDecoder().decode(ContactBook.self, from: json) else { return nil }
            return (book, row.string("sourceHash") ?? "")
        }
    }

    /// Stores the contacts in force.
    package func saveContacts(_ book: ContactBook, sourceHash: String, by actor: String?) throws {
        let json = String(decoding: try JSONEncoder().encode(book), as: UTF8.self)
        try write { db in
            try db.execute("""
                INSERT INTO contacts (id, json, sourceHash, updatedAt, updatedBy) VALUES (1, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET json = excluded.json, sourceHash = excluded.sourceHash, updatedAt = excluded.updatedAt,
                  updatedBy = excluded.updatedBy
                """, json, sourceHash, Date(), actor)
        }
    }
}
