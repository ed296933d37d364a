import Host
import Testing

/// A VM's guest memory as its CPU stores and loads frames: page by page through the VMM's
/// mapping (its guest pages are scattered host pages), four bytes to a little-endian dword.
@Suite("Guest memory")
struct GuestMemoryTests {
    /// Two guest pages of one VM over a shuffled pool: guest page 1 is rarely host page 0's
    /// neighbour, so a store across the boundary must split there.
    static func machine() throws -> (GuestMemory, HostMemory, VMM) {
        let memory = HostMemory(size: 1 << 24)
        let vmm = VMM(memory: memory, pool: 0x10_0000..<0x80_0000, tableBase: 0x8000, tablePages: 16, seed: 7)
        try vmm.createVM("vm1", bytes: 2 * HostMemory.pageSize)
        return (GuestMemory(vmm: vmm, vm: "vm1"), memory, vmm)
    }

    @Test("bytes stored across a guest page boundary land in each page's host page, the last dword's missing bytes zero; loads give them back")
    func acrossPages() throws {
        let (guest, memory, vmm) = try Self.machine()
        let bytes = (0..<23).map { UInt8($0 + 1) }
        let hostPages = vmm.machines["vm1"]!.pages
        #expect(hostPages[1] != hostPages[0] + 1, "the test needs scattered pages (change the seed)")
        // 8 bytes before the boundary, 15 after it.
        let address = HostMemory.pageSize - 8
        memory.write32(hostPages[1] * HostMemory.pageSize + 12, 0xDEAD_BEEF)
        guest.store(address, bytes: bytes)
        #expect(memory.read32(hostPages[0] * HostMemory.pageSize + 0xFF8) == 0x0403_0201)
        #expect(memory.read32(hostPages[0] * HostMemory.pageSize + 0xFFC) == 0x0807_0605)
        #expect(memory.read32(hostPages[1] * HostMemory.pageSize) == 0x0C0B_0A09)
        #expect(memory.read32(hostPages[1] * HostMemory.pageSize + 12) == 0x0017_1615, "bytes 21-23 and a zero: the whole dword is written")
        #expect(guest.load(address, count: 23) == bytes)
        #expect(guest.load(address + 1, count: 5) == [1, 2, 3, 4, 5], "an unaligned load ignores the address's low two bits, as a dword load does")
    }

    @Test("an unaligned store writes whole dwords at the aligned addresses, as a dword store of each would")
    func unaligned() throws {
        let (guest, _, _) = try Self.machine()
        guest.store(0x102, bytes: [1, 2, 3, 4, 5])
        #expect(guest.load(0x100) == 0x0403_0201)
        #expect(guest.load(0x104) == 0x0000_0005)
    }

    @Test("beyond the VM's memory a load reads all ones and a store goes nowhere; a page never written reads zeros")
    func outside() throws {
        let (guest, memory, _) = try Self.machine()
        let end = 2 * HostMemory.pageSize
        let pagesBefore = memory.touchedPages
        guest.store(end - 4, bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(guest.load(end - 4, count: 8) == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(memory.touchedPages == pagesBefore + 1, "only the VM's last page was written")
        #expect(guest.load(0, count: 6) == [0, 0, 0, 0, 0, 0])
    }
}
