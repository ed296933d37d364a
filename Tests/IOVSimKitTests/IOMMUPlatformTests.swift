import Foundation
import Host
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// The IOMMU in the root complex on a clocked platform: a VF's DMA goes through its domain's
/// tables, is cached in the IOTLB, and a remap without invalidation keeps using the old page.
@Suite("IOMMU on the platform", .serialized)
struct IOMMUPlatformTests {
    typealias Bench = DMAPlatformTests.Bench

    /// 4 GiB of host memory behind an IOMMU (translation off until software turns it on),
    /// attached above the platform's root complex.
    static func attachHost(_ platform: Platform) -> (HostMemory, IOMMU, HostBridge) {
        let memory = HostMemory(size: 1 << 32)
        let iommu = IOMMU(memory: memory)
        let host = HostBridge(memory: memory, iommu: iommu)
        platform.rootComplex.host = host
        return (memory, iommu, host)
    }

    @Test("a stale IOTLB entry is used after the VMM remaps a page without invalidating (the guard reports the write into the page's new owner), and not after a page-selective invalidation")
    func staleIOTLB() throws {
        let bench = try Bench("i82576.toml")
        let platform = bench.platform
        let (memory, iommu, host) = Self.attachHost(platform)
        let vf = 1, rid = try #require(platform.rid(device: "nic0", pf: 0, vf: vf))
        var tables = RemappingTables(memory: memory, base: 0xF000_0000, pages: 64)
        try tables.attach(requester: rid, domain: 1)
        iommu.rootTable = tables.root
        iommu.translationEnabled = true
        host.assignment[rid] = "vm1"
        // vm1's pages: its ring, its buffer, and the page the buffer moves to.
        let ring: UInt64 = 0x1000_0000, oldBuffer: UInt64 = 0x1000_1000, newBuffer: UInt64 = 0x1000_2000
        for page in [ring, oldBuffer, newBuffer] { memory.assign(page: page >> 12, to: .vm("vm1")) }
        let ringIOVA: UInt64 = 0x10_0000, bufferIOVA: UInt64 = 0x20_0000
        try tables.map(domain: 1, iova: ringIOVA, to: ring)
        try tables.map(domain: 1, iova: bufferIOVA, to: oldBuffer)
        // Every descriptor points at the same buffer IOVA.
        for k in 0..<8 {
            for (j, dw) in AdvancedRxDescriptor(packetAddress: bufferIOVA).dwords.enumerated() { memory.write32(ring + UInt64(16 * k + 4 * j), dw) }
        }
        try bench.setUpReceive(vf: vf, ring: ringIOVA, descriptors: 8, writeBack: 1)
        try bench.write(vf: vf, "RDT", 7)
        let mac = platform.macAddress(device: "nic0", pf: 0, vf: vf)
        func receive(_ seed: Int) -> [UInt8] {
            let frame = DMAPlatformTests.frame(to: mac, from: 0x02_99_00_00_00_01, length: 64, seed: seed)
            bench.nic.ports[0].receive(frame, atClock: platform.simulator.now, simulator: platform.simulator)
            bench.settle()
            return frame.bytes
        }
        func bytes(at address: UInt64, count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: memory.read32((address + UInt64($0)) & ~3) >> UInt32(8 * ((address + UInt64($0)) & 3))) }
        }

        let a = receive(1)
        #expect(bytes(at: oldBuffer, count: a.count) == a, "the first frame lands in the buffer's page")
        #expect(iommu.iotlb.entry(domain: 1, page: bufferIOVA >> 12)?.hostPage == oldBuffer >> 12, "and the translation is cached")
        #expect(host.violations.isEmpty && iommu.faults.isEmpty)

        // The VMM moves the buffer to another page and gives the old one to vm2 — without
        // invalidating the IOTLB.
        try tables.map(domain: 1, iova: bufferIOVA, to: newBuffer)
        memory.assign(page: oldBuffer >> 12, to: .vm("vm2"))
        let hitsBefore = iommu.iotlb.hits
        let b = receive(2)
        #expect(bytes(at: oldBuffer, count: b.count) == b, "the stale entry sends the second frame to the old page")
        #expect(bytes(at: newBuffer, count: 4) == [0, 0, 0, 0])
        #expect(iommu.iotlb.hits > hitsBefore)
        let violation = try #require(host.violations.first, "the guard saw vm1's VF write vm2's page")
        #expect(violation.requester == rid && violation.page == oldBuffer >> 12 && violation.owner == .vm("vm2") && violation.vm == "vm1")

        // A page-selective invalidation, by the CPU through the IOMMU's registers (IVA, then
        // IOTLB with IVT, IIRG 11 and the domain): the next frame goes where the tables say.
        let cpu = ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex)
        cpu.memoryWrite(IOMMURegisters.base + UInt64(IOMMURegisters.iotlbOffset), UInt32(bufferIOVA))
        cpu.memoryWrite(IOMMURegisters.base + UInt64(IOMMURegisters.iotlbOffset) + 4, 0)
        cpu.memoryWrite(IOMMURegisters.base + UInt64(IOMMURegisters.iotlbOffset) + 12, 1 << 31 | 3 << 28 | 1)
        #expect(cpu.memoryRead(IOMMURegisters.base + UInt64(IOMMURegisters.iotlbOffset) + 12).map { $0 >> 31 } == 0, "IVT clears when done")
        #expect(iommu.iotlb.entry(domain: 1, page: bufferIOVA >> 12) == nil, "the page's entry is gone")
        let c = receive(3)
        #expect(bytes(at: newBuffer, count: c.count) == c, "after the invalidation the new page")
        #expect(bytes(at: oldBuffer, count: b.count) == b, "the old page keeps the second frame")
        #expect(host.violations.count == 1)
    }

    @Test("a VF's DMA to an IOVA its domain does not map is blocked: the write is dropped, the fault recorded with the VF's source-id")
    func blockedDMA() throws {
        let bench = try Bench("i82576.toml")
        let platform = bench.platform
        let (memory, iommu, _) = Self.attachHost(platform)
        let vf = 2, rid = try #require(platform.rid(device: "nic0", pf: 0, vf: vf))
        var tables = RemappingTables(memory: memory, base: 0xF000_0000, pages: 64)
        try tables.attach(requester: rid, domain: 2)
        try tables.map(domain: 2, iova: 0x10_0000, to: 0x3000_0000)      // the ring only
        iommu.rootTable = tables.root
        iommu.translationEnabled = true
        for (j, dw) in AdvancedRxDescriptor(packetAddress: 0x77_0000).dwords.enumerated() { memory.write32(0x3000_0000 + UInt64(4 * j), dw) }
        try bench.setUpReceive(vf: vf, ring: 0x10_0000, descriptors: 8, writeBack: 1)
        try bench.write(vf: vf, "RDT", 1)
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 1)
        let fault = try #require(iommu.faults.first)
        #expect(fault.sourceID == rid && fault.address == 0x77_0000 && fault.isWrite && fault.reason == .writeDenied, "\(fault)")
        #expect(platform.rootComplex.counters.translationFaults >= 1)
        #expect(memory.touchedPages == 5 + 1, "the root, context and three second-level table pages, and the ring page: nothing else was written")
    }

    @Test("interrupt remapping: a VF's MSI-X write in remappable format reaches its VM's vector; another VF using that entry fails source-id validation and is blocked with a fault record; without validation it would get through",
          arguments: [true, false])
    func interruptRemapping(_ validate: Bool) throws {
        let bench = try Bench("i82576.toml")
        let platform = bench.platform
        let (memory, iommu, host) = Self.attachHost(platform)
        let rid1 = try #require(platform.rid(device: "nic0", pf: 0, vf: 1)), rid2 = try #require(platform.rid(device: "nic0", pf: 0, vf: 2))
        // The VMM's interrupt remapping table: 256 entries; entry 5 is vm1's vector 0x41 on
        // destination 1, for VF 1 only (SVT 01: requester ID = SID) — or for anyone (SVT 00).
        let table: UInt64 = 0xF100_0000
        let irte = InterruptRemapping.entry(vector: 0x41, destination: 1, sourceID: rid1, validation: validate ? 1 : 0)
        memory.write64(table + 16 * 5, irte.low)
        memory.write64(table + 16 * 5 + 8, irte.high)
        iommu.interruptTable = table
        iommu.interruptTableSize = 7
        iommu.interruptRemappingEnabled = true
        // Both VFs' Rx queues interrupt on vector 0, whose MSI-X entry names handle 5.
        for (vf, base) in [(1, 0x1000_0000 as UInt64), (2, 0x2000_0000)] {
            for k in 0..<8 {
                for (j, dw) in AdvancedRxDescriptor(packetAddress: base + 0x10_0000 + UInt64(k) * 0x800).dwords.enumerated() {
                    memory.write32(base + UInt64(16 * k + 4 * j), dw)
                }
            }
            try bench.setUpReceive(vf: vf, ring: base, descriptors: 8, writeBack: 1)
            try bench.write(vf: vf, "RDT", 7)
            try bench.msixControl(vf: vf, enable: true, functionMask: false)
            let address = InterruptRemapping.messageAddress(handle: 5)
            try bench.writeBAR(vf: vf, bar: 3, offset: 0x0, UInt32(address))
            try bench.writeBAR(vf: vf, bar: 3, offset: 0x8, 0)
            try bench.writeBAR(vf: vf, bar: 3, offset: 0xC, 0)
            try bench.writeView(vf: vf, "IVAR0", 0x80)
            try bench.writeView(vf: vf, "EIAC", 1)
            try bench.writeView(vf: vf, "EIMS", 1)
        }
        let vm1Vector = HostBridge.Delivery(destination: 1, vector: 0x41)
        DMAPlatformTests.receiveFrames(bench, vf: 1, count: 1)
        #expect(host.interrupts[vm1Vector] == 1, "VF 1's interrupt reached vm1's vector 0x41")
        #expect(iommu.faults.isEmpty)

        DMAPlatformTests.receiveFrames(bench, vf: 2, count: 1)
        if validate {
            #expect(host.interrupts[vm1Vector] == 1, "VF 2 did not raise vm1's vector")
            let fault = try #require(iommu.faults.first)
            #expect(fault.sourceID == rid2 && fault.interruptReason == .invalidSourceID && fault.address >> 48 == 5, "\(fault)")
            #expect(platform.rootComplex.counters.translationFaults == 1)
        } else {
            #expect(host.interrupts[vm1Vector] == 2, "without source validation VF 2 raises vm1's vector: the leak validation prevents")
        }
    }

    @Test("the VMM programs the IOMMU by MMIO as Linux's intel-iommu does (RTADDR, SRTP, context and IOTLB invalidation, TE) and reads a fault back from FSTS and FRCD; writing F clears it")
    func registers() throws {
        let bench = try Bench("i82576.toml")
        let platform = bench.platform
        let (memory, iommu, _) = Self.attachHost(platform)
        let cpu = ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex)
        func write(_ offset: Int, _ value: UInt32) { cpu.memoryWrite(IOMMURegisters.base + UInt64(offset), value) }
        func read(_ offset: Int) -> UInt32 { cpu.memoryRead(IOMMURegisters.base + UInt64(offset)) ?? 0xFFFF_FFFF }
        let vf = 1, rid = try #require(platform.rid(device: "nic0", pf: 0, vf: vf))
        var tables = RemappingTables(memory: memory, base: 0xF000_0000, pages: 16)
        try tables.attach(requester: rid, domain: 7)
        try tables.map(domain: 7, iova: 0x10_0000, to: 0x3000_0000)
        #expect(read(0x00) == 0x10, "VER 1.0")
        #expect((read(0x08) >> 8) & 0x1F == 0b00110 && (read(0x0C) >> 8) & 0xFF == UInt32(iommu.faultRecords - 1), "CAP: SAGAW 39/48-bit, NFR")
        write(0x20, UInt32(tables.root))                                  // RTADDR
        write(0x24, 0)
        write(0x18, 1 << 30)                                              // GCMD.SRTP
        #expect(read(0x1C) >> 30 & 1 == 1 && iommu.rootTable == tables.root, "GSTS.RTPS")
        write(0x2C, 1 << 31 | 1 << 29)                                    // CCMD: ICC, global
        #expect(read(0x2C) >> 31 == 0, "ICC clears when done")
        write(IOMMURegisters.iotlbOffset + 12, 1 << 31 | 1 << 28)         // IOTLB: IVT, global
        write(0x18, 1 << 31)                                              // GCMD.TE
        #expect(read(0x1C) >> 31 == 1 && iommu.translationEnabled, "GSTS.TES")

        // The VF's ring is mapped, its buffer is not: the data write faults.
        for (j, dw) in AdvancedRxDescriptor(packetAddress: 0x55_0000).dwords.enumerated() { memory.write32(0x3000_0000 + UInt64(4 * j), dw) }
        try bench.setUpReceive(vf: vf, ring: 0x10_0000, descriptors: 8, writeBack: 1)
        try bench.write(vf: vf, "RDT", 1)
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 1)
        #expect(read(0x34) & 2 == 2, "FSTS.PPF: a fault is pending")
        let low = UInt64(read(IOMMURegisters.faultRecordingOffset + 4)) << 32 | UInt64(read(IOMMURegisters.faultRecordingOffset))
        let high = UInt64(read(IOMMURegisters.faultRecordingOffset + 12)) << 32 | UInt64(read(IOMMURegisters.faultRecordingOffset + 8))
        let record = try #require(FaultRecord(register: low, high))
        #expect(record.sourceID == rid && record.address == 0x55_0000 && record.reason == .writeDenied && record.isWrite, "\(record)")
        write(IOMMURegisters.faultRecordingOffset + 12, 1 << 31)          // software clears F
        #expect(read(IOMMURegisters.faultRecordingOffset + 12) >> 31 == 0 && read(0x34) & 2 == 0 && iommu.faults.isEmpty)
    }

    @Test("the VMM gives two VMs non-contiguous memory and a domain each, programs the IOMMU by MMIO; a VF's frames land in its VM's pages at the guest-physical addresses its driver posted; a VMM that maps a page of vm2 into vm1's domain makes the guard fire")
    func vmmDomains() throws {
        let bench = try Bench("i82576.toml")
        let platform = bench.platform
        let (memory, iommu, host) = Self.attachHost(platform)
        let vmm = VMM(memory: memory, pool: 0x1000_0000..<0x1100_0000, tableBase: 0xF000_0000, tablePages: 64, seed: 11)
        let rid1 = try #require(platform.rid(device: "nic0", pf: 0, vf: 1)), rid2 = try #require(platform.rid(device: "nic0", pf: 0, vf: 2))
        try vmm.createVM("vm1", bytes: 1 << 20)
        try vmm.createVM("vm2", bytes: 1 << 20)
        try vmm.assign(requester: rid1, to: "vm1")
        try vmm.assign(requester: rid2, to: "vm2")
        host.assignment = vmm.assignment
        let cpu = ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex)
        #expect(vmm.enableTranslation(write: { cpu.memoryWrite(IOMMURegisters.base + UInt64($0), $1) },
                                      read: { cpu.memoryRead(IOMMURegisters.base + UInt64($0)) ?? 0 }), "the IOMMU confirmed each step")

        // vm1's driver: a ring at guest-physical 0x1000, 2 KiB buffers from 0x10000, written by
        // the guest's CPU (into the host pages behind them).
        func guestStore(_ gpa: UInt64, _ dwords: [UInt32]) throws {
            for (k, dw) in dwords.enumerated() { memory.write32(try #require(vmm.hostAddress(vm: "vm1", guestPhysical: gpa + UInt64(4 * k))), dw) }
        }
        let buffers = (0..<8).map { 0x10000 + UInt64($0) * 0x800 }
        for (k, buffer) in buffers.enumerated() { try guestStore(0x1000 + UInt64(16 * k), AdvancedRxDescriptor(packetAddress: buffer).dwords) }
        try bench.setUpReceive(vf: 1, ring: 0x1000, descriptors: 8, writeBack: 1)
        try bench.write(vf: 1, "RDT", 7)
        let mac = platform.macAddress(device: "nic0", pf: 0, vf: 1)
        var frames: [[UInt8]] = []
        for k in 0..<4 {
            let f = DMAPlatformTests.frame(to: mac, from: 0x02_99_00_00_00_01, length: 1500, seed: k)
            frames.append(f.bytes)
            bench.nic.ports[0].receive(f, atClock: platform.simulator.now, simulator: platform.simulator)
        }
        bench.settle()
        for (k, f) in frames.enumerated() {
            let landed = try (0..<f.count).map { j -> UInt8 in
                let a = try #require(vmm.hostAddress(vm: "vm1", guestPhysical: buffers[k] + UInt64(j)))
                return UInt8(truncatingIfNeeded: memory.read32(a & ~3) >> UInt32(8 * (a & 3)))
            }
            #expect(landed == f, "frame \(k) at guest-physical 0x\(String(buffers[k], radix: 16)) of vm1")
        }
        let hostPages = buffers.map { vmm.hostAddress(vm: "vm1", guestPhysical: $0)! >> 12 }
        let distinct = Array(Set(hostPages)).sorted()
        #expect(distinct.count == 4 && distinct.last! - distinct.first! > 3, "guest pages 0x10-0x13 are not contiguous in host memory: \(distinct)")
        #expect(host.violations.isEmpty && iommu.faults.isEmpty)

        // The VMM bug: vm1's guest page 0x12 (buffers 4 and 5, the next to fill) mapped onto a page of vm2.
        let victim = try #require(vmm.machines["vm2"]).pages[5]
        try vmm.remap(vm: "vm1", guestPage: 0x12, toHostPage: victim)
        cpu.memoryWrite(IOMMURegisters.base + UInt64(IOMMURegisters.iotlbOffset) + 12, 1 << 31 | 1 << 28)   // and invalidates, correctly
        try bench.write(vf: 1, "RDT", 0)   // descriptors 4-7 and 0
        for k in 0..<5 {
            bench.nic.ports[0].receive(DMAPlatformTests.frame(to: mac, from: 0x02_99_00_00_00_01, length: 200, seed: 10 + k),
                                       atClock: platform.simulator.now, simulator: platform.simulator)
        }
        bench.settle()
        let violation = try #require(host.violations.first, "the guard fires")
        #expect(violation.requester == rid1 && violation.vm == "vm1" && violation.page == victim && violation.owner == .vm("vm2"), "\(violation)")
    }
}
