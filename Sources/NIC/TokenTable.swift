/// Values kept under numbers handed out in increasing order (the DMA engine's read owners, a
/// port's Tx frames in flight), found by index rather than by hashing: an array from the
/// oldest number still held, as hardware keeps a tag-indexed table. Numbers may be skipped
/// (another port's frames) and values taken in any order; the array is trimmed from the front
/// once the oldest are gone.
struct TokenTable<Value> {
    private var values: [Value?] = []
    /// The number of `values[0]`, and the first index that may hold a value.
    private var base: UInt64 = 0
    private var head = 0

    /// `value` under `token`, which must be above every number used before.
    mutating func insert(_ value: Value, at token: UInt64) {
        precondition(token >= base + UInt64(values.count), "token \(token) used out of order")
        while base + UInt64(values.count) < token { values.append(nil) }
        values.append(value)
    }

    /// Changes the value under `token` where it is kept (a copy would copy its arrays); nil
    /// when none is held.
    mutating func update<R>(_ token: UInt64, _ body: (inout Value) -> R) -> R? {
        guard let k = index(of: token), values[k] != nil else { return nil }
        return body(&values[k]!)
    }

    /// Takes the value under `token` out.
    mutating func remove(_ token: UInt64) -> Value? {
        guard let k = index(of: token), let value = values[k].take() else { return nil }
        while head < values.count, values[head] == nil { head += 1 }
        if head > 256, head * 2 > values.count {
            values.removeFirst(head)
            base += UInt64(head)
            head = 0
        }
        return value
    }

    private func index(of token: UInt64) -> Int? {
        guard token >= base, token - base < UInt64(values.count) else { return nil }
        let k = Int(token - base)
        return k >= head ? k : nil
    }
}
