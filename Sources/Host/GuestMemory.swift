import NIC
import RTL

/// A VM's guest-physical memory as its CPU sees it: stores and loads land in the host pages
/// the VMM gave the VM (coherent, no TLP), and the guest kernel's allocator hands out regions
/// for drivers' rings and buffers. A guest-physical address is also the DMA address (IOVA) the
/// VM's functions use: the VM's IOMMU domain maps one onto the other.
public struct GuestMemory {
    public let vmm: VMM
    public let vm: String
    /// The VM as the VMM made it (its pages do not move), and host memory.
    let machine: VMM.Machine?
    let memory: HostMemory

    public init(vmm: VMM, vm: String) {
        self.vmm = vmm
        self.vm = vm
        machine = vmm.machines[vm]
        memory = vmm.memory
    }

    public func allocate(_ bytes: UInt64, alignment: UInt64 = 4096) -> UInt64? { vmm.allocate(vm: vm, bytes: bytes, alignment: alignment) }

    /// The host address of a guest-physical one (nil beyond the VM's memory).
    @inline(__always)
    func host(_ address: UInt64) -> UInt64? { machine?.hostAddress(address) }

    public func load(_ address: UInt64) -> UInt32 {
        host(address).map(memory.read32) ?? 0xFFFF_FFFF
    }

    public func store(_ address: UInt64, _ value: UInt32) {
        if let host = host(address) { memory.write32(host, value) }
    }

    public func store(_ address: UInt64, _ dwords: [UInt32]) {
        for (k, dword) in dwords.enumerated() { store(address + 4 * UInt64(k), dword) }
    }

    /// A descriptor at `address` (its four dwords, without a list of them).
    public func store(_ address: UInt64, _ descriptor: DescriptorDwords) {
        store(address, descriptor.d0)
        store(address + 4, descriptor.d1)
        store(address + 8, descriptor.d2)
        store(address + 12, descriptor.d3)
    }

    public func load(_ address: UInt64, dwords: Int) -> [UInt32] { (0..<dwords).map { load(address + 4 * UInt64($0)) } }

    /// `bytes` at `address` (little-endian within each dword, as the NIC writes them), page by
    /// page (a guest page is one host page).
    public func store(_ address: UInt64, bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            pages(address, count: b.count) { host, range in
                memory.store(bytes: UnsafeBufferPointer(rebasing: b[range]), at: host)
            }
        }
    }

    public func load(_ address: UInt64, count: Int) -> [UInt8] {
        var bytes = [UInt8](copies: 0xFF, count: count)
        bytes.withUnsafeMutableBufferPointer { buffer in
            pages(address, count: count) { host, range in
                memory.load(into: UnsafeMutableBufferPointer(rebasing: buffer[range]), from: host)
            }
        }
        return bytes
    }

    /// Splits `count` bytes from dword-aligned `address` at guest page boundaries, giving each
    /// piece's host address and its range of the bytes (pieces beyond the VM's memory left out,
    /// as a load or store of them is). An unaligned address goes dword by dword.
    func pages(_ address: UInt64, count: Int, _ body: (UInt64, Range<Int>) -> Void) {
        var k = 0
        while k < count {
            let a = address + UInt64(k)
            let n = address & 3 == 0 ? min(count - k, Int(HostMemory.pageSize - a % HostMemory.pageSize)) : min(count - k, 4)
            if let host = host(a) { body(host, k..<k + n) }
            k += n
        }
    }
}
