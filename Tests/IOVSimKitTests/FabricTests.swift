import Foundation
import IOVSimKit
import PCIe
import Proofs
import RTL
import Testing

/// Cycle runs of the fabric after bring-up.
@Suite("Fabric in cycles", .serialized)
struct FabricTests {
    /// vm1's VF 0 on nic0 writes into nic1 VF 0's BAR0 (vm2's); returns every hop of that TLP.
    static func peerWrite(_ path: String) throws -> (hops: [Hop], delivered: Int, clocks: UInt64) {
        let model = try ModelLoader.load(path: path)
        let platform = try Platform(model: model)
        platform.bringUp()
        let state = platform.state()
        let source = try #require(state.functions.first { $0.name == "nic0.pf0.vf0" })
        let target = try #require(state.functions.first { $0.name == "nic1.pf0.vf0" })
        let address = try #require(target.ranges.first).base + 0x40
        var hops: [Hop] = []
        platform.observer = { hop in if hop.tlp.kind == .memoryWrite && hop.tlp.address == address { hops.append(hop) } }
        let nic0 = try #require(platform.endpoints["nic0"]), nic1 = try #require(platform.endpoints["nic1"])
        let before = nic1.memoryWritesReceived[.vf(pf: 0, index: 0)] ?? 0
        let start = platform.simulator.now
        nic0.send(TLP(kind: .memoryWrite, requesterID: source.rid, length: 1, address: address, payload: [0xBAD]), simulator: platform.simulator)
        platform.simulator.run(clocks: 200)
        let delivered = (nic1.memoryWritesReceived[.vf(pf: 0, index: 0)] ?? 0) - before
        let arrival = hops.last?.clock ?? start
        return (hops, delivered, arrival - start)
    }

    @Test("ACS redirect off: the write goes dp0 -> dp1 inside the switch; on: up through the root complex and back")
    func peerPaths() throws {
        let broken = try Self.peerWrite(Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path)
        #expect(broken.delivered == 1)
        #expect(broken.hops.map { "\($0.node):\($0.ingress)->\($0.egress)" } == ["sw0:dp0->dp1", "nic1:link->pf0.vf0"])

        let good = try Self.peerWrite(Repository.model("sriov-512vf.toml"))
        #expect(good.delivered == 1)
        #expect(good.hops.map { "\($0.node):\($0.ingress)->\($0.egress)" } ==
                ["sw0:dp0->up", "rc:rp0->core>rp0", "sw0:up->dp1", "nic1:link->pf0.vf0"])
        // Through the root complex costs two more link crossings.
        #expect(good.clocks > broken.clocks)
    }

    @Test("100,000 random TLP headers at a root port: no crash, every non-posted request gets a completion")
    func tlpFuzz() throws {
        let model = try ModelLoader.load(path: Repository.model("i82599.toml"))
        let platform = try Platform(model: model)
        platform.bringUp()
        let rc = platform.rootComplex, link = try #require(rc.links.first), nic = try #require(platform.endpoints["nic0"])
        let before = rc.counters, nicBefore = nic.counters
        var rng = DeterministicRNG(seed: 0xF0220)
        var injected = 0, wellFormedNonPosted = 0
        while injected < 100_000 {
            var dws: [UInt32]
            switch rng.next() % 3 {
            case 0:   // anything at all
                dws = (0..<Int(rng.next() % 8)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            case 1:   // a plausible header with random fields and the length it claims
                let kinds: [UInt32] = [0x00, 0x20, 0x40, 0x60, 0x04, 0x44, 0x05, 0x45, 0x0A, 0x4A, 0x30, 0x70]
                let length = UInt32(rng.next() % 4)
                let dw0 = kinds[Int(rng.next() % UInt64(kinds.count))] << 24 | UInt32(truncatingIfNeeded: rng.next()) & 0x00FF_FC00 & ~0x3FF | length
                let four = (dw0 >> 29) & 1 == 1
                let data = (dw0 >> 30) & 1 == 1 ? Int(length == 0 ? 1024 : length) : 0
                dws = [dw0] + (0..<((four ? 3 : 2) + min(data, 8))).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            default:  // a well-formed request from a random requester
                let kind = [TLP.Kind.memoryRead, .memoryWrite, .configRead0, .configRead1, .configWrite1][Int(rng.next() % 5)]
                let address = rng.next() % 2 == 0 ? rng.next() % 0x1_0000_0000 & ~0xFFF : rng.next() & ~0xFFF
                let tlp = TLP(kind: kind, requesterID: UInt16(truncatingIfNeeded: rng.next()), tag: UInt8(truncatingIfNeeded: rng.next()),
                              length: 1, address: address, targetID: UInt16(truncatingIfNeeded: rng.next()),
                              payload: kind.rawValue.contains("Wr") ? [1] : [])
                if !tlp.isPosted { wellFormedNonPosted += 1 }
                dws = tlp.encode()
            }
            while !link.up.ready { platform.simulator.step() }
            link.up.push(Packet(dws: dws, serial: UInt64(injected)), bytes: 4 * dws.count)
            platform.simulator.wake(rc, at: platform.simulator.now)
            platform.simulator.step()
            injected += 1
        }
        platform.simulator.run(clocks: 1_000)
        let after = rc.counters
        let nonPosted = after.nonPostedReceived - before.nonPostedReceived
        // Completions come from the root complex (UR, host memory reads) or, for requests that
        // turn round in the root complex and go down again (ACS Upstream Forwarding), the NIC.
        let completions = after.completionsGenerated - before.completionsGenerated
            + nic.counters.completionsGenerated - nicBefore.completionsGenerated
        #expect(link.up.count == 0, "everything injected was taken")
        #expect(nonPosted >= UInt64(wellFormedNonPosted), "well-formed reads and config requests all counted")
        #expect(completions == nonPosted, "one completion per non-posted request")
        #expect(after.malformed - before.malformed > 10_000)
        #expect(after.dropped - before.dropped > 10_000)
    }
}

@Suite("Line traces")
struct LineTraceTests {
    @Test("each clocked component summarises its state in one line")
    func lineTraces() throws {
        let platform = try Platform(model: try ModelLoader.load(path: Repository.model("sriov-512vf.toml")))
        platform.bringUp()
        let lines = platform.simulator.components.map(\.lineTrace)
        #expect(lines.contains { $0.hasPrefix("rc cpu:0 rp0:") })
        #expect(lines.contains { $0.hasPrefix("sw0 up:") && $0.contains("dp0:") && $0.contains("dp1:") })
        #expect(lines.contains { $0.hasPrefix("nic0 bus=3 functions=513 ") })
        #expect(lines.contains { $0.hasPrefix("top.dma sources=0 requests=0") })
    }
}
