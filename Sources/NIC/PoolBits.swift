/// The pools a 64-bit pool map holds (bit n: pool n, as the sorter's and the transmit switch's
/// decisions give them), lowest first, without testing the clear bits: a frame usually goes to
/// one pool of 64.
public struct PoolBits: Sequence, IteratorProtocol {
    var bits: UInt64

    public init(_ bits: UInt64) { self.bits = bits }

    public mutating func next() -> Int? {
        guard bits != 0 else { return nil }
        let pool = bits.trailingZeroBitCount
        bits &= bits - 1
        return pool
    }
}
