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

    /// The slots with waiting programs, in destination order, into `slots` (emptied first: a
    /// list the caller keeps, so a clock allocates nothing); with `now`, only those with
    /// something to hand out then (a vector new since they last looked, or a deadline reached).
    @inline(__always)
    func waitingSlots(into slots: inout [Int], dueAt now: UInt64? = nil) {
        slots.removeAll(keepingCapacity: true)
        for slot in destinations.indices where !waiting[slot].isEmpty {
            if let now, !newlyRaised[slot], earliestDeadline[slot] > now { continue }
            slots.append(slot)
        }
        if slots.count > 1 { slots.sort { destinations[$0] < destinations[$1] } }
    }
}
