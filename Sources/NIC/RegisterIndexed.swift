import RTL

/// Values kept by register index (`RegisterMap.index(named:)`), found by position: a register
/// write asks what its register does several times (a doorbell, a mailbox register, a filter
/// input), and hashing the index each time cost more than the rest of the write.
struct RegisterIndexed<Value> {
    private var slots: [Value?] = []
    /// Registers with a value.
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> Value? {
        get { index >= 0 && index < slots.count ? slots[index] : nil }
        set {
            guard index >= 0 else { return }
            if index >= slots.count {
                guard newValue != nil else { return }
                slots += [Value?](copies: nil, count: index + 1 - slots.count)
            }
            count += (newValue == nil ? 0 : 1) - (slots[index] == nil ? 0 : 1)
            slots[index] = newValue
        }
    }
}

extension RegisterIndexed where Value == Void {
    /// The set of `indices`.
    init(_ indices: some Sequence<Int>) {
        for k in indices { self[k] = () }
    }

    func contains(_ index: Int) -> Bool { self[index] != nil }
}

extension RegisterIndexed: Sendable where Value: Sendable {}
