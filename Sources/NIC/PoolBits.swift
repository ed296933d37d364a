/// The pools a 64-bit pool map holds (bit n: pool n, as the sorter's and the transmit switch's
/// decisions give them), lowest first, without testing the clear bits: a frame usually goes to
/// one pool of 64.
struct PoolBits: Sequence, IteratorProtocol {
    var bits: UInt64

    init(_ bits: UInt64) { self.bits = bits }

    mutating func next() -> Int? {
        guard bits != 0 else { return nil }
        let pool = bits.trailingZeroBitCount
        bits &= bits - 1
        return pool
    }
}
