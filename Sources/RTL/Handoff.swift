/// Items one component hands another outside a channel (a register write's doorbell, a CPU's
/// request to the root complex, an interrupt for the CPU), each with the clock from which the
/// taker may see it. Without it the taker saw an item in the clock it was handed over when it
/// happened to tick after the giver, and a clock later otherwise: two-phase update (DESIGN.md
/// §3) holds for these paths only if the giver stamps each item with a later clock
/// (`Simulator.visibleClock`, or the next clock) and the taker takes only what is visible.
/// Items are handed over in clock order, so the visible ones are always the oldest.
public struct Handoff<Item> {
    @usableFromInline var items = FIFO<(item: Item, visibleAt: UInt64)>()

    public init() {}

    @inlinable public var count: Int { items.count }
    @inlinable public var isEmpty: Bool { items.isEmpty }

    /// Hands `item` over, for the taker from clock `visibleAt` on (no earlier than the last's).
    @inlinable
    public mutating func append(_ item: consuming Item, visibleAt: UInt64) {
        items.append((item, visibleAt))
    }

    /// The oldest item, if the taker may see it at clock `now`.
    @inlinable
    public func first(at now: UInt64) -> Item? {
        guard let first = items.first, first.visibleAt <= now else { return nil }
        return first.item
    }

    /// Drops the oldest item (there must be one).
    @inlinable
    public mutating func removeFirst() { items.removeFirst() }

    /// Takes the oldest item out, if the taker may see it at clock `now`.
    @inlinable
    public mutating func popFirst(at now: UInt64) -> Item? {
        guard let item = first(at: now) else { return nil }
        items.removeFirst()
        return item
    }
}

extension Handoff: Sendable where Item: Sendable {}
