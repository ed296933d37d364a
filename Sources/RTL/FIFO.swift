/// A first-in first-out list for a component's own backlog (a CPU's queued requests, a
/// device's replies, frames on a wire, DMA requests waiting for the link): taking the oldest
/// moves a head index, not the items behind it, and the taken items leave the storage in one
/// move once there are more than 1,024 of them and they are the greater part of it. An array's
/// `removeFirst()` moved every item behind the head, on every take: a backlog of n costs n
/// moves per item.
public struct FIFO<Element> {
    @usableFromInline var items: [Element] = []
    @usableFromInline var head = 0

    public init() {}

    /// Items waiting.
    @inlinable public var count: Int { items.count - head }
    @inlinable public var isEmpty: Bool { head == items.count }
    /// The oldest item, if any.
    @inlinable public var first: Element? { head < items.count ? items[head] : nil }

    @inlinable
    public mutating func append(_ item: consuming Element) {
        items.append(item)
    }

    /// Takes the oldest item out, if any.
    @inlinable
    public mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        removeFirst()
        return item
    }

    /// Drops the oldest item (there must be one).
    @inlinable
    public mutating func removeFirst() {
        precondition(head < items.count, "removeFirst from an empty FIFO")
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}

extension FIFO: Sendable where Element: Sendable {}
