/// Which variant of a master playlist a monitor should follow.
public enum VariantSelectionPolicy: Sendable, Hashable {
    /// The cheapest variant. The default, because a health monitor only needs proof that
    /// video is flowing and should not pull a camera's full-quality stream to get it.
    case lowestBandwidth
    /// The richest variant, for when the check must prove the top rendition works.
    case highestBandwidth
}

extension MasterPlaylist {
    /// Chooses the variant to monitor.
    ///
    /// Audio-only variants (every declared codec is an audio codec) are skipped whenever a
    /// variant that may carry video exists, since a CCTV check is about the picture. Ties on
    /// bandwidth are broken by resolution (smaller for `.lowestBandwidth`, larger for
    /// `.highestBandwidth`), then by playlist order, so the choice is deterministic.
    ///
    /// - Returns: The chosen variant, or `nil` when the playlist has no variants.
    public func selectVariant(_ policy: VariantSelectionPolicy = .lowestBandwidth) -> Variant? {
        let withVideo = variants.filter { !$0.isAudioOnly }
        let candidates = withVideo.isEmpty ? variants : withVideo

        // Returns true when `lhs` is preferred over `rhs`.
        func prefers(_ lhs: Variant, _ rhs: Variant) -> Bool {
            let lhsArea = lhs.resolution?.area ?? 0
            let rhsArea = rhs.resolution?.area ?? 0
            switch policy {
            case .lowestBandwidth:
                return (lhs.bandwidth, lhsArea) < (rhs.bandwidth, rhsArea)
            case .highestBandwidth:
                return (lhs.bandwidth, lhsArea) > (rhs.bandwidth, rhsArea)
            }
        }

        var best: Variant?
        for candidate in candidates where best.map({ prefers(candidate, $0) }) ?? true {
            best = candidate
        }
        return best
    }
}

extension Variant {
    /// True when `CODECS` is declared and lists only audio codecs.
    ///
    /// Unknown or missing codec information counts as "may carry video", because many
    /// cameras omit `CODECS` entirely and must not be filtered out for it.
    public var isAudioOnly: Bool {
        guard !codecs.isEmpty else { return false }
        let audioPrefixes = ["mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "alac", "mp3", ".mp3"]
        return codecs.allSatisfy { codec in
            let lowered = codec.lowercased()
            return audioPrefixes.contains { lowered.hasPrefix($0) }
        }
    }
}
