import IOVSimKit
import PCIe
import RTL
import Testing

/// Seeded random config reads and writes of every width to PFs and VFs. PFs are checked against
/// access kinds written below from the specs and a shadow copy of their registers; VFs against
/// the rules of their register definitions. Unsupported Requests set RW1C error bits, which
/// software-style writes of ones then clear.
@Suite("Config-space fuzz")
struct ConfigFuzzTests {
    /// The bits software may write (RW) and clear by writing ones (RW1C) in PF registers, from
    /// PCIe Base 4.0 §7.5.1.1-2 (Type 0 header), §7.5.3.4-5 (Device Control and Status),
    /// §7.8.4 (AER) and SR-IOV 1.1 §3.3 — not from the code under test. Every other bit must
    /// keep its value through any write. `checkValue: false`: registers whose value hardware
    /// also decides (VF Enable refused, NumVFs frozen, one System Page Size bit, offset and
    /// stride following NumVFs), checked by the SR-IOV rules below instead of the shadow.
    struct Access {
        let rw: UInt32
        let rw1c: UInt32
        var checkValue = true
    }

    static func spec(firstPF: Bool) -> [String: Access] {
        let ueBits: UInt32 = 0x03FF_F030   // bits 4, 5, 12-25
        let ceBits: UInt32 = 0x0000_F1C1   // bits 0, 6, 7, 8, 12-15
        return [
            "Vendor ID": Access(rw: 0, rw1c: 0), "Device ID": Access(rw: 0, rw1c: 0),
            // I/O Space, Memory Space, Bus Master, Parity Error Response, SERR# Enable, Interrupt Disable.
            "Command": Access(rw: 0x0547, rw1c: 0),
            // Master Data Parity Error, Signaled/Received Target Abort, Received Master Abort,
            // Signaled System Error, Detected Parity Error.
            "Status": Access(rw: 0, rw1c: 0xF900),
            "Revision ID": Access(rw: 0, rw1c: 0), "Programming Interface": Access(rw: 0, rw1c: 0), "Class Code": Access(rw: 0, rw1c: 0),
            "Cache Line Size": Access(rw: 0xFF, rw1c: 0), "Latency Timer": Access(rw: 0, rw1c: 0),
            "Header Type": Access(rw: 0, rw1c: 0), "BIST": Access(rw: 0, rw1c: 0),
            "Capabilities Pointer": Access(rw: 0, rw1c: 0), "Interrupt Line": Access(rw: 0xFF, rw1c: 0),
            "Interrupt Pin": Access(rw: 0, rw1c: 0), "Min_Gnt": Access(rw: 0, rw1c: 0), "Max_Lat": Access(rw: 0, rw1c: 0),
            // Error reporting enables, Relaxed Ordering, Max Payload, Extended Tag, No Snoop,
            // Max Read Request; Initiate FLR (bit 15) acts and reads 0.
            "Device Control": Access(rw: 0x79FF, rw1c: 0),
            // Correctable, Non-Fatal, Fatal and Unsupported Request Detected.
            "Device Status": Access(rw: 0, rw1c: 0x000F),
            "Uncorrectable Error Status": Access(rw: 0, rw1c: ueBits), "Uncorrectable Error Mask": Access(rw: ueBits, rw1c: 0),
            "Uncorrectable Error Severity": Access(rw: ueBits, rw1c: 0),
            "Correctable Error Status": Access(rw: 0, rw1c: ceBits), "Correctable Error Mask": Access(rw: ceBits, rw1c: 0),
            // VF Enable, VF MSE; ARI Capable Hierarchy only in the lowest-numbered PF (§3.3.3.5);
            // no VF Migration in these models.
            "SR-IOV Control": Access(rw: firstPF ? 0x19 : 0x09, rw1c: 0, checkValue: false),
            "SR-IOV Status": Access(rw: 0, rw1c: 0x1),
            "InitialVFs": Access(rw: 0, rw1c: 0), "TotalVFs": Access(rw: 0, rw1c: 0),
            "NumVFs": Access(rw: 0xFFFF, rw1c: 0, checkValue: false),
            "Function Dependency Link": Access(rw: 0, rw1c: 0),
            "First VF Offset": Access(rw: 0, rw1c: 0, checkValue: false), "VF Stride": Access(rw: 0, rw1c: 0, checkValue: false),
            "VF Device ID": Access(rw: 0, rw1c: 0), "Supported Page Sizes": Access(rw: 0, rw1c: 0),
            "System Page Size": Access(rw: 0xFFFF_FFFF, rw1c: 0, checkValue: false),
        ]
    }

    /// The spec table and the register definitions agree, register by register.
    @Test("the PF register definitions have the access kinds the specs give", arguments: ["i82599.toml", "i82576.toml"])
    func definitionsMatchSpec(model: String) throws {
        let (_, device) = try Repository.device(model)
        for (p, pf) in device.pfs.enumerated() {
            let spec = Self.spec(firstPF: p == 0)
            var seen = 0
            for register in pf.config.registers {
                guard let access = spec[register.name] else { continue }
                let masks = pf.config.masks(of: register)
                #expect(masks.writable == access.rw, "PF \(p) \(register.name): RW 0x\(String(masks.writable, radix: 16))")
                #expect(masks.clearable == access.rw1c, "PF \(p) \(register.name): RW1C 0x\(String(masks.clearable, radix: 16))")
                seen += 1
            }
            #expect(seen >= 30, "PF \(p): \(seen) registers of the table present")
        }
    }

    /// Checks a VF's write against the definitions of every register in the touched dword.
    static func checkWrite(config before: ConfigSpace, after: ConfigSpace, offset: Int, size: Int, value: UInt32, context: String) {
        let dword = offset & ~3
        let enables = UInt32(ConfigWrite.byteMask(Bits<Concrete, 4>(ConfigWrite.byteEnables(offset: offset, size: size)!)).value)
        let data = value << UInt32(8 * (offset & 3))
        for register in after.registers where register.offset & ~3 == dword {
            let shift = UInt32(8 * (register.offset & 3))
            let old = before.read(offset: register.offset, size: register.size)!
            let new = after.read(offset: register.offset, size: register.size)!
            let masks = after.masks(of: register)
            let written = (data >> shift) & (enables >> shift)
            #expect(new & masks.readOnly == old & masks.readOnly, "\(context): RO/HwInit bits of \(register.name) changed")
            #expect(new & masks.clearable == old & masks.clearable & ~written, "\(context): RW1C bits of \(register.name)")
            #expect(new & masks.reserved == 0, "\(context): reserved bits of \(register.name) read non-zero")
        }
    }

    /// Whether a write of `size` bytes of `value` at `offset` sets Initiate FLR (Device Control
    /// bit 15, byte +9 of the PCI Express capability) of a function with that capability.
    static func initiatesFLR(_ config: ConfigSpace, offset: Int, size: Int, value: UInt32) -> Bool {
        guard let control = config.register(named: "Device Control") else { return false }
        let byte = control.offset + 1
        guard byte >= offset, byte < offset + size else { return false }
        return (value >> UInt32(8 * (byte - offset))) & 0x80 != 0
    }

    /// A PF's registers of the spec table, byte by byte, as software should see them.
    struct Shadow {
        var bytes: [Int: UInt8] = [:]
        /// Byte offset -> (register, byte within it).
        var owner: [Int: (register: ConfigRegister, access: Access)] = [:]

        init(_ config: ConfigSpace, spec: [String: Access]) {
            for register in config.registers {
                guard let access = spec[register.name] else { continue }
                for k in 0..<register.size { owner[register.offset + k] = (register, access) }
            }
            resync(config)
        }

        mutating func resync(_ config: ConfigSpace) {
            for offset in owner.keys { bytes[offset] = UInt8(config.read(offset: offset, size: 1)!) }
        }

        /// The write rule applied to the shadow: RW bits take the data, RW1C bits clear where
        /// it has ones, every other bit keeps its value. Returns RW1C bits seen cleared.
        mutating func write(offset: Int, size: Int, value: UInt32) -> Int {
            var cleared = 0
            for k in 0..<size {
                guard let (register, access) = owner[offset + k], let old = bytes[offset + k] else { continue }
                let shift = UInt32(8 * (offset + k - register.offset))
                let data = UInt8(truncatingIfNeeded: value >> UInt32(8 * k))
                let rw = UInt8(truncatingIfNeeded: access.rw >> shift), rw1c = UInt8(truncatingIfNeeded: access.rw1c >> shift)
                cleared += (old & rw1c & data).nonzeroBitCount
                bytes[offset + k] = (old & ~rw & ~rw1c) | (data & rw) | (old & rw1c & ~data)
            }
            return cleared
        }

        /// Sets one field as hardware does when an event occurs.
        mutating func signal(_ config: ConfigSpace, field: String, in name: String) {
            guard let register = config.register(named: name), let f = register.field(field) else { return }
            for k in 0..<register.size {
                bytes[register.offset + k, default: 0] |= UInt8(truncatingIfNeeded: f.mask >> UInt32(8 * k))
            }
        }

        /// Bytes in [offset, offset + size) whose value the shadow knows and the device reads
        /// differently.
        func mismatches(_ config: ConfigSpace, offset: Int, size: Int) -> [String] {
            (offset..<(offset + size)).compactMap { byte in
                guard let (register, access) = owner[byte], access.checkValue, let expected = bytes[byte],
                      let actual = config.read(offset: byte, size: 1).map(UInt8.init), actual != expected else { return nil }
                return "\(register.name)+\(byte - register.offset) reads 0x\(String(actual, radix: 16)), expected 0x\(String(expected, radix: 16))"
            }
        }
    }

    @Test("200,000 random accesses: PFs behave as the specs say, VFs keep their register rules, URs set error bits that writes of ones clear",
          arguments: ["i82599.toml", "i82576.toml"])
    func fuzz(model: String) throws {
        var (file, device) = try Repository.device(model)
        var rng = DeterministicRNG(seed: 0x5EED)
        let sriovOffset = file.device.pf[0].sriov!.offset
        var shadows = device.pfs.indices.map { Shadow(device.pfs[$0].config, spec: Self.spec(firstPF: $0 == 0)) }
        var writes = 0, refused = 0, vfWrites = 0, maxVFs = 0, reads = 0, unsupported = 0, cleared = 0, pfFLRs = 0
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
            case 3: offset = 0xA0 + Int(rng.next() % 0x20)                // around Device Control/Status
            case 4: offset = 0x100 + Int(rng.next() % 0x20)               // AER status and mask
            default: offset = Int(rng.next() % 4096)
            }
            if rng.next() % 8 != 0 { offset &= ~(size - 1) }             // mostly aligned
            var value = UInt32(truncatingIfNeeded: rng.next())
            if offset & ~1 == sriovOffset + SRIOVCapability.numVFsOffset { value &= 0x3F }   // small NumVFs, often legal
            if rng.next() % 16 != 0 { value &= ~0x8000_8000 }             // FLR now and then, not every other write
            let context = "step \(step) \(BDF(target)) +0x\(String(offset, radix: 16))/\(size) = 0x\(String(value, radix: 16))"
            let id = device.function(at: target)
            let aligned = offset % size == 0 && offset + size <= 4096

            if rng.next() % 2 == 0 {
                let result = device.configRead(rid: target, offset: offset, size: size)
                #expect((result != nil) == (id != nil && aligned), "\(context): read answered \(String(describing: result))")
                if case .pf(let p) = id, result != nil {
                    reads += 1
                    let wrong = shadows[p].mismatches(device.pfs[p].config, offset: offset, size: size)
                    #expect(wrong.isEmpty, "\(context): \(wrong)")
                }
                continue
            }
            let before = id.map { device.config(of: $0) }
            let pfBefore = device.pfs.map { ($0.vfEnable, $0.numVFs) }
            let accepted = device.configWrite(rid: target, offset: offset, size: size, value: value)
            #expect(accepted == (id != nil && aligned), "\(context): write accepted \(accepted)")
            guard accepted, let id, let before else {
                // An Unsupported Request: logged by the function it was for, or by PF 0.
                refused += 1
                var logger = 0
                if case .pf(let p) = id { logger = p }
                if case .vf = id { continue }
                unsupported += 1
                shadows[logger].signal(device.pfs[logger].config, field: "unsupportedRequestDetected", in: "Device Status")
                shadows[logger].signal(device.pfs[logger].config, field: "unsupportedRequestErrorStatus", in: "Uncorrectable Error Status")
                let wrong = shadows[logger].mismatches(device.pfs[logger].config, offset: 0, size: 4096)
                #expect(wrong.isEmpty, "\(context): after an Unsupported Request: \(wrong)")
                continue
            }
            writes += 1
            switch id {
            case .pf(let p):
                if Self.initiatesFLR(before, offset: offset, size: size, value: value) {
                    // The PF and its VFs back to reset (PCIe Base 4.0 §6.6.2).
                    pfFLRs += 1
                    shadows[p].resync(device.pfs[p].config)
                    #expect(device.pfs[p].vfs.isEmpty, "\(context): VFs survive their PF's FLR")
                } else {
                    cleared += shadows[p].write(offset: offset, size: size, value: value)
                    let wrong = shadows[p].mismatches(device.pfs[p].config, offset: offset & ~3, size: 4)
                    #expect(wrong.isEmpty, "\(context): \(wrong)")
                    shadows[p].resync(device.pfs[p].config)
                }
            case .vf:
                vfWrites += 1
                // A VF may have vanished (its PF cleared VF Enable) or been reset by its FLR:
                // compare with what is there now only if it still exists and was not reset.
                if device.function(at: target) == id && !Self.initiatesFLR(before, offset: offset, size: size, value: value) {
                    Self.checkWrite(config: before, after: device.config(of: id), offset: offset, size: size, value: value, context: context)
                }
            }
            for (p, pf) in device.pfs.enumerated() {
                if pfBefore[p].0 && pf.vfEnable { #expect(pf.numVFs == pfBefore[p].1, "\(context): NumVFs changed while VF Enable was set") }
                if pf.vfEnable { #expect(pf.numVFs <= pf.totalVFs, "\(context): VF Enable with NumVFs > TotalVFs") }
                #expect(pf.vfs.count == (pf.vfEnable ? Int(pf.numVFs) : 0), "\(context): VF count follows VF Enable and NumVFs")
                let routing = pf.definition.routingTable.routing(numVFs: pf.numVFs, ari: device.ariCapableHierarchy)
                #expect(routing == VFRouting(firstVFOffset: pf.firstVFOffset, vfStride: pf.vfStride), "\(context): offset/stride follow the table")
            }
        }
        // The run really exercised writes, reads, VFs, refusals, error events and their clearing.
        #expect(writes > 50_000)
        #expect(reads > 5_000)
        #expect(vfWrites > 1_000)
        #expect(refused > 1_000)
        #expect(unsupported > 1_000)
        #expect(cleared > 20, "RW1C bits set by Unsupported Requests and cleared by writing ones: \(cleared)")
        #expect(pfFLRs > 5)
        #expect(maxVFs >= 8)
    }
}
