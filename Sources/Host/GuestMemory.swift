/// A VM's guest-physical memory as its CPU sees it: stores and loads land in the host pages
/// the VMM gave the VM (coherent, no TLP), and the guest kernel's allocator hands out regions
/// for drivers' rings and buffers. A guest-physical address is also the DMA address (IOVA) the
/// VM's functions use: the VM's IOMMU domain maps one onto the other.
public struct GuestMemory {
    public let vmm: VMM
    public let vm: String

    public init(vmm: VMM, vm: String) {
        self.vmm = vmm
        self.vm = vm
    }

    public func allocate(_ bytes: UInt64, alignment: UInt64 = 4096) -> UInt64? { vmm.allocate(vm: vm, bytes: bytes, alignment: alignment) }

    public func load(_ address: UInt64) -> UInt32 {
        vmm.hostAddress(vm: vm, guestPhysical: address).map(vmm.memory.read32) ?? 0xFFFF_FFFF
    }

    public func store(_ address: UInt64, _ value: UInt32) {
        if let host = vmm.hostAddress(vm: vm, guestPhysical: address) { vmm.memory.write32(host, value) }
    }

    public func store(_ address: UInt64, _ dwords: [UInt32]) {
        for (k, dword) in dwords.enumerated() { store(address + 4 * UInt64(k), dword) }
    }

    public func load(_ address: UInt64, dwords: Int) -> [UInt32] { (0..<dwords).map { load(address + 4 * UInt64($0)) } }

    /// `bytes` at `address` (little-endian within each dword, as the NIC writes them).
    public func store(_ address: UInt64, bytes: [UInt8]) {
        for k in stride(from: 0, to: bytes.count, by: 4) {
            store(address + UInt64(k), (0..<4).reduce(UInt32(0)) { $0 | UInt32(k + $1 < bytes.count ? bytes[k + $1] : 0) << UInt32(8 * $1) })
        }
    }

    public func load(_ address: UInt64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for k in stride(from: 0, to: count, by: 4) {
            let dword = load(address + UInt64(k))
            for j in 0..<min(4, count - k) { bytes.append(UInt8(truncatingIfNeeded: dword >> UInt32(8 * j))) }
        }
        return bytes
    }
}
