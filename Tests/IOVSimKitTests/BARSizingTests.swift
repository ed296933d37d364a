import IOVSimKit
import PCIe
import Testing

/// BAR sizing as software does it (PCI Local Bus 3.0 §6.2.5.1, SR-IOV 1.1 §3.3.14): write all
/// ones, read back, size = ~(value & address mask) + 1, type bits unchanged.
@Suite("BAR sizing")
struct BARSizingTests {
    /// Sizes a BAR at `offset` of `rid` through config writes, restoring it after.
    static func size(_ d: inout SRIOVDevice, rid: UInt16, offset: Int, kind: BARDefinition.Kind) -> (size: UInt64, typeBits: UInt32) {
        let low = d.configRead(rid: rid, offset: offset, size: 4)!
        _ = d.configWrite(rid: rid, offset: offset, size: 4, value: 0xFFFF_FFFF)
        let readLow = d.configRead(rid: rid, offset: offset, size: 4)!
        _ = d.configWrite(rid: rid, offset: offset, size: 4, value: low)
        var mask = UInt64(readLow & (kind == .io ? ~0x3 : ~0xF))
        if kind == .memory64 {
            let high = d.configRead(rid: rid, offset: offset + 4, size: 4)!
            _ = d.configWrite(rid: rid, offset: offset + 4, size: 4, value: 0xFFFF_FFFF)
            mask |= UInt64(d.configRead(rid: rid, offset: offset + 4, size: 4)!) << 32
            _ = d.configWrite(rid: rid, offset: offset + 4, size: 4, value: high)
        } else {
            mask |= 0xFFFF_FFFF_0000_0000
        }
        // An I/O BAR may hardwire its upper 16 bits to 0 (PCI 3.0 §6.2.5.1); Linux's pci_size
        // then treats them as ones.
        if kind == .io && mask & 0xFFFF_0000 == 0 { mask |= 0xFFFF_0000 }
        return (~mask &+ 1, readLow & (kind == .io ? 0x3 : 0xF))
    }

    @Test("every PF and VF BAR of every model reads back its size", arguments: ["i82599.toml", "i82576.toml", "sriov-512vf.toml"])
    func sizing(model: String) throws {
        var (file, d) = try Repository.device(model)
        var checked = 0
        for (p, pf) in file.device.pf.enumerated() {
            let rid = d.rid(ofPF: p)
            for bar in pf.bar ?? [] {
                let result = Self.size(&d, rid: rid, offset: 0x10 + 4 * bar.index, kind: bar.type)
                let expectedType: UInt32 = bar.type == .io ? 1 : (bar.type == .memory64 ? 4 : 0) | (bar.prefetchable == true ? 8 : 0)
                #expect(result.size == bar.size, "PF \(p) BAR\(bar.index)")
                #expect(result.typeBits == expectedType, "PF \(p) BAR\(bar.index) type bits")
                checked += 1
            }
            guard let sriov = pf.sriov else { continue }
            for bar in sriov.vfBAR {
                let result = Self.size(&d, rid: rid, offset: sriov.offset + SRIOVCapability.vfBAR0Offset + 4 * bar.index, kind: bar.type)
                #expect(result.size == bar.size, "PF \(p) VF BAR\(bar.index)")
                checked += 1
            }
            // Unimplemented BARs read 0 and size to nothing.
            let used = Set((pf.bar ?? []).flatMap { $0.type == .memory64 ? [$0.index, $0.index + 1] : [$0.index] })
            for index in 0..<6 where !used.contains(index) {
                _ = d.configWrite(rid: rid, offset: 0x10 + 4 * index, size: 4, value: 0xFFFF_FFFF)
                #expect(d.configRead(rid: rid, offset: 0x10 + 4 * index, size: 4) == 0, "PF \(p) unimplemented BAR\(index)")
            }
        }
        #expect(checked >= 4)
        // A VF's own header BARs are read-only zero whatever is written.
        try VFEnable.enable(&d, numVFs: 1, ari: true)
        let vf = try #require(d.pfs[0].vfs.first)
        for index in 0..<6 {
            _ = d.configWrite(rid: vf.rid, offset: 0x10 + 4 * index, size: 4, value: 0xFFFF_FFFF)
            #expect(d.configRead(rid: vf.rid, offset: 0x10 + 4 * index, size: 4) == 0)
        }
    }

    @Test("a 64-bit BAR larger than 4 GiB sizes through its upper half")
    func largeBAR() {
        let bar = BARDefinition(index: 0, kind: .memory64, prefetchable: true, size: 1 << 34)
        var config = ConfigSpace(registers: bar.registers(at: 0x10))
        config.write(offset: 0x10, size: 4, value: 0xFFFF_FFFF)
        config.write(offset: 0x14, size: 4, value: 0xFFFF_FFFF)
        #expect(config.read(offset: 0x10, size: 4) == 0x0000_000C)
        #expect(config.read(offset: 0x14, size: 4) == 0xFFFF_FFFC)
    }
}
