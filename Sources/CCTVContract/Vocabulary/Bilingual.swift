import Foundation

/// A text a person reads, in Korean and English. The UI and the notices take their words from here.
public struct Bilingual: Codable, Sendable, Equatable, Hashable {
    public var ko: String
    public var en: String

    public init(_ ko: String, _ en: String) {
        self.ko = ko
        self.en = en
    }

    /// Whether both languages have text.
    public var isComplete: Bool {
        !ko.trimmingCharacters(in: .whitespaces).isEmpty && !en.trimmingCharacters(in: .whitespaces).isEmpty
    }
}
