/// Reads bits MSB-first from an H.264/HEVC RBSP, as needed for exp-Golomb coded headers.
///
/// Every read is bounds-checked and throws instead of trapping, because parameter sets come
/// straight from untrusted camera output.
struct BitReader {
    struct OutOfData: Error {}

    private let bytes: [UInt8]
    private var bitPosition = 0

    /// Wraps an RBSP (emulation-prevention bytes already removed).
    init(rbsp: [UInt8]) {
        self.bytes = rbsp
    }

    /// Builds a reader from a NAL unit payload, dropping `00 00 03` emulation-prevention bytes.
    init(nalPayload: some Collection<UInt8>) {
        var rbsp: [UInt8] = []
        rbsp.reserveCapacity(nalPayload.count)
        var zeros = 0
        for byte in nalPayload {
            if zeros >= 2, byte == 3 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            rbsp.append(byte)
        }
        self.init(rbsp: rbsp)
    }

    mutating func bit() throws(OutOfData) -> UInt32 {
        guard bitPosition < bytes.count * 8 else { throw OutOfData() }
        let byte = bytes[bitPosition >> 3]
        let value = (byte >> (7 - UInt8(bitPosition & 7))) & 1
        bitPosition += 1
        return UInt32(value)
    }

    mutating func flag() throws(OutOfData) -> Bool {
        try bit() == 1
    }

    /// Reads `count` (at most 32) bits as an unsigned integer.
    mutating func bits(_ count: Int) throws(OutOfData) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            value = (value << 1) | (try bit())
        }
        return value
    }

    mutating func skip(_ count: Int) throws(OutOfData) {
        guard count >= 0, bitPosition + count <= bytes.count * 8 else { throw OutOfData() }
        bitPosition += count
    }

    /// Unsigned exp-Golomb `ue(v)`. Codes longer than 31 bits are rejected as corrupt.
    mutating func unsignedGolomb() throws(OutOfData) -> UInt32 {
        var leadingZeros = 0
        while try bit() == 0 {
            leadingZeros += 1
            guard leadingZeros < 32 else { throw OutOfData() }
        }
        guard leadingZeros > 0 else { return 0 }
        let suffix = try bits(leadingZeros)
        return UInt32((UInt64(1) << leadingZeros) - 1 + UInt64(suffix))
    }

    /// Signed exp-Golomb `se(v)`.
    mutating func signedGolomb() throws(OutOfData) -> Int64 {
        let code = Int64(try unsignedGolomb())
        return code % 2 == 0 ? -(code / 2) : (code + 1) / 2
    }
}
