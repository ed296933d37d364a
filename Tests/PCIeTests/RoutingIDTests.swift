import Foundation
import LinuxReference
import PCIe
import RTL
import Testing

struct LayoutCase: CustomTestStringConvertible, Sendable {
    let label: String
    let pfBus: Int, pfDevfn: Int, offset: Int, stride: Int, numVFs: Int, ari: Bool
    var testDescription: String { label }
    var layout: SRIOVLayout {
        SRIOVLayout(pfRID: UInt16(pfBus << 8 | pfDevfn), firstVFOffset: UInt16(offset), vfStride: UInt16(stride),
                    numVFs: UInt16(numVFs), ari: ari)
    }
}

let layoutCases: [LayoutCase] = [
    LayoutCase(label: "82599 with ARI: offset 0x80 stride 2, 64 VFs", pfBus: 3, pfDevfn: 0, offset: 0x80, stride: 2, numVFs: 64, ari: true),
    LayoutCase(label: "82599 without ARI: offset 0x180 stride 2, 64 VFs on the next bus", pfBus: 3, pfDevfn: 0, offset: 0x180, stride: 2, numVFs: 64, ari: false),
    LayoutCase(label: "offset 2 stride 1, 8 VFs", pfBus: 3, pfDevfn: 0, offset: 2, stride: 1, numVFs: 8, ari: true),
    LayoutCase(label: "offset 256 stride 256, 15 VFs: one new bus per VF", pfBus: 3, pfDevfn: 0, offset: 256, stride: 256, numVFs: 15, ari: true),
    LayoutCase(label: "82576 second port: PF 03:00.1, offset 0x80 stride 2, 8 VFs", pfBus: 3, pfDevfn: 1, offset: 0x80, stride: 2, numVFs: 8, ari: true),
    LayoutCase(label: "PF at devfn 0xf8 spilling mid-range", pfBus: 0x20, pfDevfn: 0xF8, offset: 4, stride: 4, numVFs: 100, ari: true),
]

@Suite("SR-IOV routing IDs")
struct RoutingIDTests {
    @Test("every VF's bus:dev.fn matches Linux's formula", arguments: layoutCases)
    func matchesLinux(_ c: LayoutCase) {
        let layout = c.layout
        #expect(layout.vfRIDs.count == c.numVFs)
        var maxBus = c.pfBus
        for id in 0..<c.numVFs {
            let bus = Linux.virtfnBus(pfBus: c.pfBus, pfDevfn: c.pfDevfn, offset: c.offset, stride: c.stride, id: id)
            let devfn = Linux.virtfnDevfn(pfDevfn: c.pfDevfn, offset: c.offset, stride: c.stride, id: id)
            maxBus = max(maxBus, bus)
            let bdf = BDF(layout.vfRID(id), ari: c.ari)
            #expect(bdf.description == Linux.name(bus: bus, devfn: devfn), "VF \(id)")
            #expect(Int(bdf.bus) == bus && Int(bdf.devfn) == devfn)
            // ARI: the whole devfn is the function number; without ARI it splits 5:3.
            #expect(Int(bdf.ariFunction) == devfn)
            #expect(Int(bdf.device) == devfn >> 3 && Int(bdf.function) == devfn & 7)
        }
        #expect(Int(layout.lastBus) == maxBus, "last bus needed")
    }

    @Test("datasheet checks")
    func datasheet() {
        // 82599 without ARI: the 64 VFs sit on bus 04, devices 0x10-0x1f.
        let noARI = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x180, vfStride: 2, numVFs: 64, ari: false)
        #expect(BDF(noARI.vfRID(0)).description == "04:10.0")
        #expect(BDF(noARI.vfRID(63)).description == "04:1f.6")
        // With NumVFs = 7 and ARI on, VF 6 of the 82599 is at 03:11.4, ARI function 140.
        let ari = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x80, vfStride: 2, numVFs: 7, ari: true)
        #expect(BDF(ari.vfRID(6)).description == "03:11.4")
        #expect(BDF(ari.vfRID(6), ari: true).ariFunction == 140)
        // Offset 256 stride 256: VF 14 on bus 0x03 + 15 = 0x12, so 15 extra buses.
        let spill = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 256, vfStride: 256, numVFs: 15, ari: true)
        #expect(spill.lastBus == 0x12)
        // No VFs: the PF's own bus. A layout running past bus 0xff says so.
        #expect(SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x80, vfStride: 2, numVFs: 0, ari: true).lastBus == 3)
        #expect(SRIOVLayout(pfRID: 0xFF00, firstVFOffset: 0x100, vfStride: 0x100, numVFs: 2, ari: true).lastBus == 0x101)
    }

    @Test("BDF parses what it prints")
    func bdfParsing() {
        #expect(BDF(parsing: "04:1f.6")?.rid == 0x04FE)
        #expect(BDF(parsing: "4:1f.6")?.rid == 0x04FE)
        #expect(BDF(parsing: "04:20.0") == nil)
        #expect(BDF(parsing: "04:1f.8") == nil)
        #expect(BDF(parsing: "zz:00.0") == nil)
        #expect(BDF(parsing: "0400") == nil)
    }
}
