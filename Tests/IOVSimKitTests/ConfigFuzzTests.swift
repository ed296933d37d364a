import IOVSimKit
import PCIe
import RTL
import Testing

/// Seeded random config reads and writes of every width to PFs and VFs; after each one the
/// rules of the register definitions must still hold.
@Suite("Config-space fuzz")
struct ConfigFuzzTests {
    /// Checks one write against the definitions of every register in the touched dword.
    static func checkWrite(config before: ConfigSpace, after: ConfigSpace, offset: Int, size: Int, value: UInt32,
                           hardwareOwned: Set<String>, context: String) {
        let dword = offset & ~3
        let enables = UInt32(ConfigWrite.byteMask(Bits<Concrete, 4>(ConfigWrite.byteEnables(offset: offset, size: size)!)).value)
        let data = value << UInt32(8 * (offset & 3))
        for register in after.registers where register.offset & ~3 == dword {
            let shift = UInt32(8 * (register.offset & 3))
            let old = before.read(offset: register.offset, size: register.size)!
            let new = after.read(offset: register.offset, size: register.size)!
            let masks = after.masks(of: register)
            let written = (data >> shift) & (enables >> shift)
            if !hardwareOwned.contains(register.name) {
                #expect(new & masks.readOnly == old & masks.readOnly, "\(context): RO/HwInit bits of \(register.name) changed")
            }
            // RW1C: only bits written as one clear; none is ever set by a write.
            #expect(new & masks.clearable == old & masks.clearable & ~written, "\(context): RW1C bits of \(register.name)")
            #expect(new & masks.reserved == 0, "\(context): reserved bits of \(register.name) read non-zero")
        }
    }

    @Test("200,000 random accesses keep every register rule", arguments: ["i82599.toml", "i82576.toml"])
    func fuzz(model: String) throws {
        var (file, device) = try Repository.device(model)
        var rng = DeterministicRNG(seed: 0x5EED)
        let sriovOffset = file.device.pf[0].sriov!.offset
        let hardwareOwned: Set<String> = ["First VF Offset", "VF Stride"]
        var writes = 0, refused = 0, vfWrites = 0, maxVFs = 0
        for step in 0..<200_000 {
            let functions = device.functions
            maxVFs = max(maxVFs, functions.count - device.pfs.count)
            // Mostly existing functions, sometimes a RID nobody has.
            let target = rng.next() % 16 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : functions[Int(rng.next() % UInt64(functions.count))].rid
            let size = [1, 2, 4][Int(rng.next() % 3)]
            var offset: Int
            switch rng.next() % 8 {
            case 0, 1: offset = sriovOffset + Int(rng.next() % 0x40)     // the SR-IOV capability
            case 2: offset = Int(rng.next() % 0x40)                       // the header
            default: offset = Int(rng.next() % 4096)
            }
            if rng.next() % 8 != 0 { offset &= ~(size - 1) }             // mostly aligned
            var value = UInt32(truncatingIfNeeded: rng.next())
            if offset & ~1 == sriovOffset + SRIOVCapability.numVFsOffset { value &= 0x3F }   // small NumVFs, often legal
            let context = "step \(step) \(BDF(target)) +0x\(String(offset, radix: 16))/\(size)"
            let id = device.function(at: target)
            let aligned = offset % size == 0 && offset + size <= 4096

            if rng.next() % 2 == 0 {
                let result = device.configRead(rid: target, offset: offset, size: size)
                #expect((result != nil) == (id != nil && aligned), "\(context): read answered \(String(describing: result))")
                continue
            }
            let before = id.map { device.config(of: $0) }
            let pfBefore = device.pfs.map { ($0.vfEnable, $0.numVFs) }
            let accepted = device.configWrite(rid: target, offset: offset, size: size, value: value)
            #expect(accepted == (id != nil && aligned), "\(context): write accepted \(accepted)")
            guard accepted, let id, let before else { refused += 1; continue }
            writes += 1
            if case .vf = id { vfWrites += 1 }
            // A VF may have vanished (its PF cleared VF Enable) or been reset by FLR: compare
            // with what is there now only if it still exists.
            if device.function(at: target) == id {
                Self.checkWrite(config: before, after: device.config(of: id), offset: offset, size: size, value: value,
                                hardwareOwned: hardwareOwned, context: context)
            }
            for (p, pf) in device.pfs.enumerated() {
                if pfBefore[p].0 && pf.vfEnable { #expect(pf.numVFs == pfBefore[p].1, "\(context): NumVFs changed while VF Enable was set") }
                if pf.vfEnable { #expect(pf.numVFs <= pf.totalVFs, "\(context): VF Enable with NumVFs > TotalVFs") }
                #expect(pf.vfs.count == (pf.vfEnable ? Int(pf.numVFs) : 0), "\(context): VF count follows VF Enable and NumVFs")
                let routing = pf.definition.routingTable.routing(numVFs: pf.numVFs, ari: device.ariCapableHierarchy)
                #expect(routing == VFRouting(firstVFOffset: pf.firstVFOffset, vfStride: pf.vfStride), "\(context): offset/stride follow the table")
            }
        }
        // The run really exercised writes, VFs and refusals.
        #expect(writes > 50_000)
        #expect(vfWrites > 1_000)
        #expect(refused > 1_000)
        #expect(maxVFs > 8)
    }
}
