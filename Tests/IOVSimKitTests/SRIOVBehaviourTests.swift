import IOVSimKit
import PCIe
import Testing

/// SR-IOV capability semantics through config writes only (SR-IOV 1.1 §3.3; sriov-facts §1.1, §8).
@Suite("SR-IOV behaviour")
struct SRIOVBehaviourTests {
    static let cap = 0x160   // SR-IOV capability of the 82599 and 82576 models
    static let pf0: UInt16 = 0x0300

    static func write(_ d: inout SRIOVDevice, _ register: Int, _ value: UInt32, size: Int = 2, rid: UInt16 = pf0) {
        let accepted = d.configWrite(rid: rid, offset: cap + register, size: size, value: value)
        #expect(accepted)
    }
    static func read(_ d: SRIOVDevice, _ register: Int, size: Int = 2, rid: UInt16 = pf0) -> UInt32 {
        d.configRead(rid: rid, offset: cap + register, size: size)!
    }

    @Test("VFs appear on VF Enable at the RIDs offset and stride give, and disappear when it clears")
    func enableDisable() throws {
        var (_, d) = try Repository.device("i82599.toml")
        #expect(d.functions.count == 1)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy)
        Self.write(&d, SRIOVCapability.numVFsOffset, 7)
        #expect(d.functions.count == 1, "NumVFs alone creates nothing")
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy | SRIOVCapability.vfEnable | SRIOVCapability.vfMemorySpaceEnable)
        #expect(d.functions.map { BDF($0.rid).description } == ["03:00.0", "03:10.0", "03:10.2", "03:10.4", "03:10.6", "03:11.0", "03:11.2", "03:11.4"])
        // A VF's reduced config space: IDs read all ones, BARs zero, no interrupt pin.
        let vf6: UInt16 = 0x038C
        #expect(d.configRead(rid: vf6, offset: 0, size: 4) == 0xFFFF_FFFF)
        for bar in 0..<6 { #expect(d.configRead(rid: vf6, offset: 0x10 + 4 * bar, size: 4) == 0) }
        #expect(d.configRead(rid: vf6, offset: 0x3D, size: 1) == 0)
        #expect(d.configRead(rid: vf6, offset: 0x08, size: 4) == d.configRead(rid: Self.pf0, offset: 0x08, size: 4), "class and revision from the PF")
        // Memory Space Enable is RsvdP in a VF: the PF's VF MSE decides decode.
        let commandWrite = d.configWrite(rid: vf6, offset: 0x04, size: 2, value: 0x0006)
        #expect(commandWrite)
        #expect(d.configRead(rid: vf6, offset: 0x04, size: 2) == 0x0004, "Bus Master sticks, Memory Space reads 0")
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy)
        #expect(d.functions.count == 1)
        #expect(d.configRead(rid: vf6, offset: 0, size: 4) == nil, "a disabled VF is an Unsupported Request")
    }

    @Test("NumVFs is read-only while VF Enable is set")
    func numVFsFrozen() throws {
        var (_, d) = try Repository.device("i82599.toml")
        Self.write(&d, SRIOVCapability.numVFsOffset, 4)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable)
        Self.write(&d, SRIOVCapability.numVFsOffset, 64)
        #expect(Self.read(d, SRIOVCapability.numVFsOffset) == 4)
        #expect(d.pfs[0].vfs.count == 4)
    }

    @Test("VF Enable is refused while NumVFs exceeds TotalVFs (QEMU CVE-2025-54567)")
    func enableRefusedAboveTotal() throws {
        var (_, d) = try Repository.device("i82576.toml")
        Self.write(&d, SRIOVCapability.numVFsOffset, 9)
        #expect(Self.read(d, SRIOVCapability.numVFsOffset) == 9, "NumVFs itself is RW")
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable | SRIOVCapability.vfMemorySpaceEnable)
        #expect(Self.read(d, SRIOVCapability.controlOffset) & SRIOVCapability.vfEnable == 0)
        #expect(Self.read(d, SRIOVCapability.controlOffset) & SRIOVCapability.vfMemorySpaceEnable != 0, "the other bits of the write still land")
        #expect(d.pfs[0].vfs.isEmpty)
        Self.write(&d, SRIOVCapability.numVFsOffset, 8)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable)
        #expect(d.pfs[0].vfs.count == 8)
    }

    @Test("First VF Offset follows ARI Capable Hierarchy: 128 with it, 384 without, for both PFs")
    func offsetFollowsARI() throws {
        var (_, d) = try Repository.device("i82576.toml")
        #expect(Self.read(d, SRIOVCapability.firstVFOffsetOffset) == 384)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy)
        #expect(Self.read(d, SRIOVCapability.firstVFOffsetOffset) == 128)
        #expect(Self.read(d, SRIOVCapability.firstVFOffsetOffset, rid: 0x0301) == 128, "PF1 follows PF0's bit")
        #expect(Self.read(d, SRIOVCapability.vfStrideOffset) == 2)
        // PF1 has no ARI Capable Hierarchy bit of its own: RsvdP.
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy, rid: 0x0301)
        #expect(Self.read(d, SRIOVCapability.controlOffset, rid: 0x0301) == 0)
        // Frozen while VF Enable is set.
        Self.write(&d, SRIOVCapability.numVFsOffset, 2)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy | SRIOVCapability.vfEnable)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable)
        #expect(Self.read(d, SRIOVCapability.controlOffset) & SRIOVCapability.ariCapableHierarchy != 0)
        // Two PFs' VFs interleave: PF0 at 03:10.0, 03:10.2; PF1 (once enabled) at 03:10.1, 03:10.3.
        Self.write(&d, SRIOVCapability.numVFsOffset, 2, rid: 0x0301)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable, rid: 0x0301)
        #expect(d.functions.map { BDF($0.rid).description }.sorted() == ["03:00.0", "03:00.1", "03:10.0", "03:10.1", "03:10.2", "03:10.3"])
    }

    @Test("System Page Size takes one supported size, only while VF Enable is clear")
    func systemPageSize() throws {
        var (_, d) = try Repository.device("i82599.toml")
        Self.write(&d, SRIOVCapability.systemPageSizeOffset, 0x10, size: 4)   // 64 KiB: supported
        #expect(Self.read(d, SRIOVCapability.systemPageSizeOffset, size: 4) == 0x10)
        Self.write(&d, SRIOVCapability.systemPageSizeOffset, 0x3, size: 4)    // two bits
        #expect(Self.read(d, SRIOVCapability.systemPageSizeOffset, size: 4) == 0x10)
        Self.write(&d, SRIOVCapability.systemPageSizeOffset, 0x4, size: 4)    // 16 KiB: not in 0x553
        #expect(Self.read(d, SRIOVCapability.systemPageSizeOffset, size: 4) == 0x10)
        Self.write(&d, SRIOVCapability.numVFsOffset, 1)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.vfEnable)
        Self.write(&d, SRIOVCapability.systemPageSizeOffset, 0x1, size: 4)
        #expect(Self.read(d, SRIOVCapability.systemPageSizeOffset, size: 4) == 0x10)
    }

    @Test("Function Level Reset of one VF resets that VF and nothing else")
    func vfFLR() throws {
        var (_, d) = try Repository.device("i82599.toml")
        try VFEnable.enable(&d, numVFs: 4, ari: true)
        let vfs = d.pfs[0].vfs.map(\.rid)
        let msixControl = 0x70 + 2, devctl = 0xA0 + 8
        for rid in vfs {
            let busMaster = d.configWrite(rid: rid, offset: 0x04, size: 2, value: 0x4)         // Bus Master
            #expect(busMaster)
            let msixEnable = d.configWrite(rid: rid, offset: msixControl, size: 2, value: 0x8000) // MSI-X enable
            #expect(msixEnable)
        }
        let flr = d.configWrite(rid: vfs[2], offset: devctl, size: 2, value: 0x8000 | 0x2810)
        #expect(flr)
        for (k, rid) in vfs.enumerated() {
            let command = d.configRead(rid: rid, offset: 0x04, size: 2)!
            let msix = d.configRead(rid: rid, offset: msixControl, size: 2)! & 0x8000
            if k == 2 {
                #expect(command == 0 && msix == 0, "VF 2 back to reset")
            } else {
                #expect(command == 0x4 && msix == 0x8000, "VF \(k) untouched")
            }
        }
        #expect(d.configRead(rid: vfs[2], offset: devctl, size: 2)! & 0x8000 == 0, "Initiate FLR reads 0")
        #expect(d.pfs[0].vfEnable && d.pfs[0].vfs.count == 4, "the PF and its other VFs are untouched")
    }

    @Test("VF apertures: VF BARn base + index * per-VF size, decoding only with VF MSE")
    func apertures() throws {
        var (_, d) = try Repository.device("i82599.toml")
        let vfBAR0 = SRIOVCapability.vfBAR0Offset
        Self.write(&d, vfBAR0, 0xE000_0000, size: 4)
        Self.write(&d, vfBAR0 + 4, 0x1, size: 4)
        try VFEnable.enable(&d, numVFs: 8, ari: true)
        let aperture = try #require(d.pfs[0].vfAperture(vf: 5, bar: 0))
        #expect(aperture.base == 0x1_E000_0000 + 5 * 0x4000)
        #expect(aperture.size == 0x4000 && aperture.decodes)
        Self.write(&d, SRIOVCapability.controlOffset, SRIOVCapability.ariCapableHierarchy | SRIOVCapability.vfEnable)
        #expect(d.pfs[0].vfAperture(vf: 5, bar: 0)?.decodes == false, "VF MSE clear: no decode")
        #expect(d.pfs[0].vfAperture(vf: 8, bar: 0) == nil, "VF 8 does not exist")
    }

    @Test("malformed accesses are refused: nothing changes but the Unsupported Request they log")
    func malformed() throws {
        var (_, d) = try Repository.device("i82599.toml")
        // What logging the UR leaves: Device Status UR Detected, AER UR Error Status.
        var expected = d.pfs[0].config
        expected.signal("unsupportedRequestDetected", in: "Device Status")
        expected.signal("unsupportedRequestErrorStatus", in: "Uncorrectable Error Status")
        let before = expected.hexDump()
        #expect(before != d.pfs[0].config.hexDump())
        let misaligned = d.configWrite(rid: Self.pf0, offset: 0x05, size: 2, value: 0xFFFF)
        #expect(!misaligned, "misaligned")
        let threeBytes = d.configWrite(rid: Self.pf0, offset: 0x04, size: 3, value: 0xFFFF)
        #expect(!threeBytes, "3 bytes")
        let pastEnd = d.configWrite(rid: Self.pf0, offset: 4096, size: 4, value: 0)
        #expect(!pastEnd, "past 4 KiB")
        let noFunction = d.configWrite(rid: 0x0310, offset: 0, size: 4, value: 0)
        #expect(!noFunction, "no such function")
        #expect(d.configRead(rid: Self.pf0, offset: 0x03, size: 4) == nil)
        #expect(d.pfs[0].config.hexDump() == before)
    }
}
