extension Array {
    /// `count` copies of `value`: what `init(repeating:count:)` makes, allocated where the
    /// compiler specialises for the element type. `init(repeating:count:)` and
    /// `init(unsafeUninitializedCapacity:)` allocate in the standard library's unspecialised
    /// code, which looks the storage class's metadata up at run time on every call (a hash-table
    /// search, about 350 instructions on Linux, as much again as the allocation); a TLP payload
    /// or a frame made per clock should not pay it.
    @inlinable @inline(__always)
    public init(copies value: Element, count: Int) {
        self.init(repeatElement(value, count: count))
    }
}
