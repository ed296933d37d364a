import Host
import RTL
import Testing

/// The invalidation queue (VT-d §6.5.2) driven through the IOMMU's registers.
@Suite("Queued invalidation")
struct QueuedInvalidationTests {
    @Test("QIE on, descriptors in the queue, IQT moved: a page-selective IOTLB invalidation drops the entry, a wait descriptor writes its status; an unknown descriptor type stops the queue with IQE")
    func queue() throws {
        let memory = HostMemory(size: 1 << 28)
        let iommu = IOMMU(memory: memory)
        let registers = IOMMURegisters(iommu: iommu)
        var tables = RemappingTables(memory: memory, base: 0x100_0000, pages: 16)
        try tables.attach(requester: 0x0180, domain: 3)
        try tables.map(domain: 3, iova: 0x5000, to: 0x200_0000)
        try tables.map(domain: 3, iova: 0x6000, to: 0x200_1000)
        iommu.rootTable = tables.root
        iommu.translationEnabled = true
        #expect(iommu.translate(requester: 0x0180, address: 0x5000, write: true, clock: 1) == 0x200_0000)
        #expect(iommu.translate(requester: 0x0180, address: 0x6000, write: true, clock: 1) == 0x200_1000)
        #expect(iommu.iotlb.entry(domain: 3, page: 5) != nil && iommu.iotlb.entry(domain: 3, page: 6) != nil)

        let queue: UInt64 = 0x300_0000, status: UInt64 = 0x300_2000
        registers.write(offset: 0x90, value: UInt32(queue))               // IQA, QS 0: 256 descriptors
        registers.write(offset: 0x18, value: 1 << 31 | 1 << 26)           // GCMD: TE stays, QIE
        #expect(registers.read(offset: 0x1C) >> 26 & 1 == 1, "GSTS.QIES")
        // IOTLB, page-selective (granularity 3), domain 3, page 0x5000; then a wait with SW.
        memory.write64(queue, 2 | 3 << 4 | 3 << 16)
        memory.write64(queue + 8, 0x5000)
        memory.write64(queue + 16, 5 | 1 << 5 | 0xABCD << 32)
        memory.write64(queue + 24, status)
        registers.write(offset: 0x88, value: 2 << 4)                      // IQT
        #expect(registers.read(offset: 0x80) == 2 << 4, "IQH caught up with IQT")
        #expect(iommu.iotlb.entry(domain: 3, page: 5) == nil && iommu.iotlb.entry(domain: 3, page: 6) != nil, "only page 0x5000 went")
        #expect(memory.read32(status) == 0xABCD, "the wait descriptor's status")

        memory.write64(queue + 32, 0x7)                                   // no such descriptor type
        memory.write64(queue + 48, 2 | 1 << 4)                            // a global IOTLB invalidation behind it
        registers.write(offset: 0x88, value: 4 << 4)
        #expect(registers.read(offset: 0x34) >> 4 & 1 == 1, "FSTS.IQE")
        #expect(registers.read(offset: 0x80) == 2 << 4, "IQH stops at the bad descriptor")
        #expect(iommu.iotlb.entry(domain: 3, page: 6) != nil, "nothing behind it was done")
        #expect(registers.queuedDescriptors == 2)
    }
}
