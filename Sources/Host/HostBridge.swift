import PCIe

/// The host as the root complex's devices meet it: host memory behind the IOMMU, and the
/// run-time guard. The guard knows which VM each requester is assigned to (the VMM's
/// assignment) and the owner of every page: a DMA write that lands on a page another owner
/// holds is reported with the clock, the requester and the page (the hardware still writes
/// it: the guard observes, it does not fix).
public final class HostBridge: HostMemoryPort {
    public let memory: HostMemory
    public let iommu: IOMMU
    /// The VM each requester (routing ID) belongs to.
    public var assignment: [UInt16: String] = [:] {
        didSet {
            clean = (0, .max, .max)
            requesterOwners = Array(repeating: .max, count: 1 << 16)
            for (requester, vm) in assignment { requesterOwners[Int(requester)] = memory.number(of: .vm(vm)) }
        }
    }
    /// Each requester's VM as a page-owner number (`HostMemory.number(of:)`; `.max`: none),
    /// by routing ID: what the guard compares a written page's owner with.
    var requesterOwners: [UInt16] = []
    /// The last (requester, page) whose writes were found inside the requester's VM, and the
    /// owners' generation it was found in.
    var clean: (requester: UInt16, page: UInt64, generation: UInt64) = (0, .max, .max)
    /// One report per run of writes by one requester into one foreign page: the first
    /// `reportHistory` of them kept (a model that breaks isolation on every frame would grow
    /// the list with the run), all counted in `violationReports`.
    public private(set) var violations: [Violation] = []
    public private(set) var violationReports = 0
    /// The (requester, page) of the most recent report (a new run of writes starts a new one).
    var lastViolation: (requester: UInt16, page: UInt64)?
    public var reportHistory = 4096
    /// Every dword written into a page of another owner.
    public private(set) var violatingDwords: UInt64 = 0
    /// Each VM's interrupt destination (its virtual interrupt controller).
    public var destinations: [String: UInt32] = [:]
    /// Interrupts a VM's function raised at a destination that is not its VM's, in order: the
    /// first `reportHistory` kept, all counted in `interruptViolationCount`.
    public private(set) var interruptViolations: [InterruptViolation] = []
    public private(set) var interruptViolationCount = 0
    /// Interrupts delivered, all destinations.
    public private(set) var interruptsDelivered: UInt64 = 0
    /// Interrupts delivered, by (destination, vector): each VM's virtual interrupt controller.
    public private(set) var interrupts: [Delivery: UInt64] = [:]
    /// Called with every interrupt delivered (the host CPU raises it at its destination).
    public var delivered: ((Delivery) -> Void)?

    public struct Delivery: Hashable, Sendable {
        public let destination: UInt32
        public let vector: UInt8
        public init(destination: UInt32, vector: UInt8) {
            self.destination = destination
            self.vector = vector
        }
    }

    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public let clock: UInt64
        public let requester: UInt16
        public let vm: String
        public let page: UInt64
        public let owner: HostMemory.Owner
        public var description: String {
            "clock \(clock): \(BDF(requester)) (\(vm)) wrote host page 0x\(String(page << 12, radix: 16)), which belongs to \(owner)"
        }
    }

    public struct InterruptViolation: Sendable, Equatable, CustomStringConvertible {
        public let clock: UInt64
        public let requester: UInt16
        public let vm: String
        public let delivery: Delivery
        /// The VM whose destination it is, if any.
        public let victim: String?
        public var description: String {
            "clock \(clock): \(BDF(requester)) (\(vm)) raised vector 0x\(String(delivery.vector, radix: 16)) at destination \(delivery.destination)"
                + (victim.map { " (\($0)'s)" } ?? (delivery.destination == 0 ? " (the host's)" : ""))
        }
    }

    /// The IOMMU's registers, at `IOMMURegisters.base`.
    public let registers: IOMMURegisters

    public init(memory: HostMemory, iommu: IOMMU) {
        self.memory = memory
        self.iommu = iommu
        registers = IOMMURegisters(iommu: iommu)
    }

    public func ownsRegister(_ address: UInt64) -> Bool {
        address >= IOMMURegisters.base && address - IOMMURegisters.base < IOMMURegisters.size
    }
    public func readRegister(_ address: UInt64) -> UInt32 { registers.read(offset: Int(address - IOMMURegisters.base)) }
    public func writeRegister(_ address: UInt64, _ value: UInt32, byteEnables: UInt8) {
        registers.write(offset: Int(address - IOMMURegisters.base), value: value, byteEnables: byteEnables)
    }

    public func translate(requester: UInt16, address: UInt64, length: Int, write: Bool, addressType: UInt8, clock: UInt64) -> UInt64? {
        iommu.translate(requester: requester, address: address, write: write, addressType: addressType, clock: clock)
    }

    public func translationRequest(requester: UInt16, address: UInt64, clock: UInt64) -> (address: UInt64, read: Bool, write: Bool)? {
        iommu.translationRequest(requester: requester, address: address)
    }

    public func invalidationCompleted(requester: UInt16) {
        if iommu.deviceInvalidationCompleted() { registers.processQueue() }
    }

    public func contains(_ address: UInt64) -> Bool { memory.contains(address) }

    public func interrupt(requester: UInt16, address: UInt64, data: UInt32, clock: UInt64) -> Bool {
        guard let (vector, destination) = iommu.remapInterrupt(requester: requester, address: address, data: data, clock: clock) else { return false }
        let delivery = Delivery(destination: destination, vector: vector)
        if let vm = assignment[requester], destinations[vm] != destination {
            interruptViolationCount += 1
            if interruptViolations.count < reportHistory {
                interruptViolations.append(InterruptViolation(clock: clock, requester: requester, vm: vm, delivery: delivery,
                                                              victim: destinations.first { $0.value == destination }?.key))
            }
        }
        interrupts[delivery, default: 0] += 1
        interruptsDelivered += 1
        delivered?(delivery)
        return true
    }
    public func read32(_ address: UInt64) -> UInt32 { memory.read32(address) }
    public func read(_ address: UInt64, dwords count: Int) -> [UInt32] { memory.read(address, dwords: count) }

    public func write32(_ address: UInt64, _ value: UInt32, byteEnables: UInt8, requester: UInt16, clock: UInt64) {
        check(page: address / HostMemory.pageSize, requester: requester, clock: clock)
        memory.write32(address, value, byteEnables: byteEnables)
    }

    /// A memory write's payload: checked once per page it touches (a TLP never crosses 4 KiB)
    /// rather than per dword, and stored in one step.
    public func write(_ address: UInt64, payload: [UInt32], firstBE: UInt8, lastBE: UInt8, requester: UInt16, clock: UInt64) {
        var k = 0
        while k < payload.count {
            let a = address &+ UInt64(4 * k)
            let inPage = min(payload.count - k, Int((HostMemory.pageSize - a % HostMemory.pageSize + 3) / 4))
            check(page: a / HostMemory.pageSize, requester: requester, clock: clock, dwords: UInt64(inPage))
            k += inPage
        }
        memory.write(address, payload: payload, firstBE: firstBE, lastBE: lastBE)
    }

    /// The guard: `dwords` dwords written by `requester` into `page`, reported when the page
    /// is not its VM's. The last page found clean for a requester stays clean until an owner
    /// changes.
    func check(page: UInt64, requester: UInt16, clock: UInt64, dwords: UInt64 = 1) {
        if clean == (requester, page, memory.ownersGeneration) { return }
        guard Int(requester) < requesterOwners.count else { return }
        let expected = requesterOwners[Int(requester)]
        guard expected != .max else { return }
        if memory.ownerNumber(ofPage: page) == expected {
            clean = (requester, page, memory.ownersGeneration)
            return
        }
        if let vm = assignment[requester] {
            let owner = memory.owner(ofPage: page)
            if owner != .vm(vm) {
                violatingDwords += dwords
                if (lastViolation.map { $0.page != page || $0.requester != requester }) ?? true {
                    lastViolation = (requester, page)
                    violationReports += 1
                    if violations.count < reportHistory {
                        violations.append(Violation(clock: clock, requester: requester, vm: vm, page: page, owner: owner))
                    }
                }
            } else {
                clean = (requester, page, memory.ownersGeneration)
            }
        }
    }
}
