import LinuxReference
import PCIe
import Proofs
import RTL
import SMT
import Testing

/// The routing-ID proof runs `RoutingID.vf` on Z3 terms; every counterexample is replayed here
/// on the concrete interpretation (and against Linux's formula) to show the collision is real.
@Suite("Routing-ID proofs")
struct RoutingIDProofTests {
    static func results(_ findings: [RoutingIDProof.Finding]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: findings.map { ($0.property, $0.outcome.result.label) })
    }

    @Test("valid layouts: every property proved", arguments: [
        (SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x80, vfStride: 2, numVFs: 64, ari: true), UInt8(3), UInt8(3)),
        (SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x180, vfStride: 2, numVFs: 64, ari: false), 3, 4),
        (SRIOVLayout(pfRID: 0x0300, firstVFOffset: 2, vfStride: 1, numVFs: 8, ari: true), 3, 3),
        (SRIOVLayout(pfRID: 0x0300, firstVFOffset: 256, vfStride: 256, numVFs: 15, ari: true), 3, 0x12),
        (SRIOVLayout(pfRID: 0x0100, firstVFOffset: 1, vfStride: 1, numVFs: 255, ari: true), 1, 1),
    ])
    func validLayouts(layout: SRIOVLayout, secondary: UInt8, subordinate: UInt8) throws {
        let findings = try RoutingIDProof.check(.init(layout: layout, secondaryBus: secondary, subordinateBus: subordinate))
        #expect(findings.count == 3)
        for finding in findings {
            #expect(finding.outcome.result == .proved, "\(finding.property): \(finding.outcome.result)")
            #expect(finding.witness == nil)
        }
    }

    @Test("82576: two PFs' interleaved VFs never collide")
    func interleavedPFs() throws {
        let pf0 = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x80, vfStride: 2, numVFs: 8, ari: true)
        let pf1 = SRIOVLayout(pfRID: 0x0301, firstVFOffset: 0x80, vfStride: 2, numVFs: 8, ari: true)
        let others = [pf0.pfRID, pf1.pfRID] + pf1.vfRIDs
        let findings = try RoutingIDProof.check(.init(layout: pf0, secondaryBus: 3, subordinateBus: 3, otherRIDs: others))
        #expect(findings.allSatisfy { $0.outcome.result == .proved })

        // The same two PFs with stride 1: PF0's VF 1 lands on PF1's VF 0.
        let bad0 = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x80, vfStride: 1, numVFs: 8, ari: true)
        let bad1 = SRIOVLayout(pfRID: 0x0301, firstVFOffset: 0x80, vfStride: 1, numVFs: 8, ari: true)
        let clash = try RoutingIDProof.check(.init(layout: bad0, secondaryBus: 3, subordinateBus: 3,
                                                   otherRIDs: [bad0.pfRID, bad1.pfRID] + bad1.vfRIDs))
        let witness = try #require(clash.first { $0.property == RoutingIDProof.distinctFromFunctions }?.witness)
        guard case .functionCollision(let vf, let rid) = witness else {
            Issue.record("expected a function collision, got \(witness)")
            return
        }
        #expect(bad1.vfRIDs.contains(rid))
        #expect(bad0.vfRID(vf) == rid, "replayed on the concrete interpretation")
    }

    @Test("bus range one too small: violated, witness is a VF on the bus past subordinate")
    func busRangeTooSmall() throws {
        // 82599 without ARI needs bus 04; the port decodes only [03, 03].
        let layout = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 0x180, vfStride: 2, numVFs: 64, ari: false)
        let findings = try RoutingIDProof.check(.init(layout: layout, secondaryBus: 3, subordinateBus: 3))
        #expect(Self.results(findings) == [
            RoutingIDProof.distinctVFs: "proved", RoutingIDProof.distinctFromFunctions: "proved",
            RoutingIDProof.insideBusRange: "violated",
        ])
        let witness = try #require(findings[2].witness)
        guard case .busOutOfRange(let vf, let bus) = witness else {
            Issue.record("expected a bus-range witness, got \(witness)")
            return
        }
        #expect(bus == 4)
        // Replay: the concrete RID of that VF and Linux's formula both put it on bus 4.
        #expect(BDF(layout.vfRID(vf)).bus == 4)
        #expect(Linux.virtfnBus(pfBus: 3, pfDevfn: 0, offset: 0x180, stride: 2, id: vf) == 4)

        // One new bus per VF: with subordinate one short only VF 14 is outside.
        let spill = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 256, vfStride: 256, numVFs: 15, ari: true)
        let spillFindings = try RoutingIDProof.check(.init(layout: spill, secondaryBus: 3, subordinateBus: 0x11))
        #expect(spillFindings[2].witness == .busOutOfRange(vf: 14, bus: 0x12))
    }

    @Test("a stride and count that wrap the 16-bit RID into the PF's own: violated, VF 255")
    func wrapIntoPF() throws {
        // PF 01:00.0, offset 0x100, stride 0x100, 256 VFs: VF i = 0x0200 + i * 0x100 (mod 2^16),
        // so VF 255 wraps round to 0x0100, the PF itself.
        let layout = SRIOVLayout(pfRID: 0x0100, firstVFOffset: 0x100, vfStride: 0x100, numVFs: 256, ari: true)
        let findings = try RoutingIDProof.check(.init(layout: layout, secondaryBus: 1, subordinateBus: 0xFF))
        let collision = findings[1]
        #expect(collision.outcome.result.label == "violated")
        #expect(collision.outcome.result.counterexample?["vf_i"] == 255)
        #expect(collision.witness == .functionCollision(vf: 255, rid: 0x0100))
        // Replay on the concrete interpretation: VF 255's RID is the PF's.
        #expect(layout.vfRID(255) == layout.pfRID)
        // Its unwrapped bus (Linux's int arithmetic) is past 0xff, so the range proof fails too.
        #expect(findings[2].outcome.result.label == "violated")
    }

    @Test("two VFs on one RID: violated with both indices")
    func vfCollision() throws {
        // Stride 0x8000: VF 0 and VF 2 are 0x10000 apart, the same 16-bit RID.
        let layout = SRIOVLayout(pfRID: 0x0300, firstVFOffset: 1, vfStride: 0x8000, numVFs: 3, ari: true)
        let findings = try RoutingIDProof.check(.init(layout: layout, secondaryBus: 0, subordinateBus: 0xFF))
        let witness = try #require(findings[0].witness)
        #expect(witness == .vfCollision(vf: 0, otherVF: 2, rid: 0x0301))
        #expect(layout.vfRID(0) == layout.vfRID(2))
    }
}
