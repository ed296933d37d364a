import Foundation
import IOVSimKit
import PCIe
import RTL
import Testing

/// `SRIOVDevice.function(at:)` finds a function by inverting RID = RID(PF) + First VF Offset +
/// i * VF Stride, and `lastBus` finds the top bus without a scan: both must agree with a plain
/// search of every function, also for layouts whose RIDs wrap past 0xFFFF.
@Suite("Function lookup by routing ID")
struct FunctionLookupTests {
    static func device(offset: Int, stride: Int, vfs: Int, bus: UInt8) throws -> SRIOVDevice {
        let text = Repository.plainModel.replacingOccurrences(of: "pcie = { offset = 0xa0, link_speed = 1, link_width = 1 }", with: """
            pcie = { offset = 0xa0, link_speed = 1, link_width = 1 }
            ari = { offset = 0x100, next_function = 0 }
            [device.pf.sriov]
            offset = 0x150
            initial_vfs = \(vfs)
            total_vfs = \(vfs)
            vf_device_id = 0x10ca
            supported_page_sizes = 0x553
            routing = [{ first_vf_offset = \(offset), vf_stride = \(stride) }]
            vf_bar = [{ index = 0, type = "mem64", prefetchable = true, size = 0x4000 }]
            [device.pf.sriov.vf]
            """)
        var device = try ModelDevice.device(try ModelLoader.parse(text, file: "lookup.toml"), bus: bus)
        try VFEnable.enable(&device, numVFs: UInt16(vfs), ari: true)
        return device
    }

    @Test("every routing ID, random layouts (wrapping ones included): the same function as a search, the same top bus")
    func agreesWithSearch() throws {
        var rng = DeterministicRNG(seed: 0x1D)
        var wrapped = 0
        for _ in 0..<40 {
            let stride = rng.next() % 4 == 0 ? Int(rng.next() % 0x1000) + 1 : Int(rng.next() % 8) + 1
            let vfs = Int(rng.next() % 600) + 1
            let offset = Int(rng.next() % 0x400) + 1
            let bus = UInt8(truncatingIfNeeded: rng.next())
            let device = try Self.device(offset: offset, stride: stride, vfs: vfs, bus: bus)
            // The first function at each RID in `functions` order, as a search finds it.
            var expected: [UInt16: SRIOVDevice.FunctionID] = [:]
            for f in device.functions where expected[f.rid] == nil { expected[f.rid] = f.id }
            for rid in 0...UInt16.max where device.function(at: rid) != expected[rid] {
                Issue.record("offset \(offset) stride \(stride) vfs \(vfs) bus \(bus): RID \(BDF(rid)) -> \(String(describing: device.function(at: rid))), search: \(String(describing: expected[rid]))")
                break
            }
            let top = device.functions.map { UInt8($0.rid >> 8) }.max()!
            #expect(device.lastBus == top, "offset \(offset) stride \(stride) vfs \(vfs) bus \(bus)")
            if device.pfs[0].vfRIDsWrap { wrapped += 1 }
        }
        #expect(wrapped >= 5, "wrapping layouts exercised: \(wrapped)")
    }
}
