/// The host CPU's interrupt state per destination (a VM's virtual interrupt controller, 0 for
/// the host): the vectors raised and not yet taken (its IRR), the programs waiting for one and
/// the earliest of their deadlines, and whether a vector came since they last looked. Kept by
/// slot, one per destination ever named (a handful: the VMs and the host), found by a search
/// of the few destinations rather than a hash per interrupt, raise and take.
struct InterruptDestinations {
    typealias Waiter = (vectors: InterruptVectors, deadline: UInt64, order: UInt64, resume: HostCPU.Continuation<UInt8?>)

    private(set) var destinations: [UInt32] = []
    var raised: [InterruptVectors] = []
    var waiting: [[Waiter]] = []
    /// The earliest deadline of the slot's waiting programs (`.max`: none waiting).
    var earliestDeadline: [UInt64] = []
    var newlyRaised: [Bool] = []
    private var last = 0

    /// The slot of `destination`, if it was ever named.
    func slot(of destination: UInt32) -> Int? {
        if last < destinations.count, destinations[last] == destination { return last }
        return destinations.firstIndex(of: destination)
    }

    /// The slot of `destination`, made when new.
    mutating func slot(for destination: UInt32) -> Int {
        if let slot = slot(of: destination) {
            last = slot
            return slot
        }
        destinations.append(destination)
        raised.append([])
        waiting.append([])
        earliestDeadline.append(.max)
        newlyRaised.append(false)
        last = destinations.count - 1
        return last
    }

    /// The slots with waiting programs, in destination order.
    func waitingSlots() -> [Int] {
        destinations.indices.filter { !waiting[$0].isEmpty }.sorted { destinations[$0] < destinations[$1] }
    }
}
