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

    /// Pushes one packet into the root port's upstream link, stepping the clock while the link
    /// is busy; a link that never frees up fails the test instead of hanging it.
    static func inject(_ dws: [UInt32], serial: UInt64, platform: Platform, link: Link) throws {
        var waited = 0
        while !link.up.ready {
            platform.simulator.step()
            waited += 1
            try #require(waited < 10_000, "the root port's link stayed busy for 10,000 clocks: \(platform.simulator.components.map(\.lineTrace))")
        }
        link.up.push(Packet(dws: dws, serial: serial), bytes: 4 * dws.count)
        platform.simulator.wake(platform.rootComplex, at: platform.simulator.now)
        platform.simulator.step()
    }

    @Test("100,000 TLPs at a root port: garbage never crashes it; every well-formed request from a real requester gets its own completion")
    func tlpFuzz() throws {
        var model = try ModelLoader.load(path: Repository.model("i82599.toml"))
        model.host = nil   // plain host memory: a read of any address below its limit succeeds
        model.traffic = nil
        let platform = try Platform(model: model)
        platform.bringUp()
        let state = platform.state()
        let rc = platform.rootComplex, link = try #require(rc.links.first)
        var rng = DeterministicRNG(seed: 0xF0220)
        let before = rc.counters

        // Phase 1: 34,000 packets of garbage and plausible headers with random fields.
        for n in 0..<34_000 {
            var dws: [UInt32]
            if n % 2 == 0 {
                dws = (0..<Int(rng.next() % 8)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            } else {
                let kinds: [UInt32] = [0x00, 0x20, 0x40, 0x60, 0x04, 0x44, 0x05, 0x45, 0x0A, 0x4A, 0x30, 0x70]
                let length = UInt32(rng.next() % 4)
                let dw0 = kinds[Int(rng.next() % UInt64(kinds.count))] << 24 | UInt32(truncatingIfNeeded: rng.next()) & 0x00FF_FC00 | length
                let four = (dw0 >> 29) & 1 == 1
                let data = (dw0 >> 30) & 1 == 1 ? Int(length == 0 ? 1024 : length) : 0
                dws = [dw0] + (0..<((four ? 3 : 2) + min(data, 8))).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            }
            try Self.inject(dws, serial: UInt64(n), platform: platform, link: link)
        }
        platform.simulator.run(clocks: 1_000)
        let garbage = rc.counters
        #expect(link.up.count == 0, "everything injected was taken")
        #expect(garbage.malformed - before.malformed > 10_000)
        #expect(garbage.dropped - before.dropped > 1_000)

        // Phase 2: 66,000 well-formed requests from the functions below the port (so ACS
        // Source Validation passes), to host memory, to the NIC's own BARs (turned round in the
        // root complex) and to nowhere; each completion that reaches the NIC is matched to its
        // request by requester and tag, with the status the address calls for.
        let requesters = state.functions.map(\.rid)
        let bars = state.functions.flatMap(\.ranges)
        var outstanding: [UInt32: (status: TLP.CompletionStatus, kind: TLP.Kind)] = [:]
        var unmatched: [String] = [], matched = 0, wrongStatus: [String] = []
        platform.observer = { hop in
            guard hop.node == "nic0", hop.tlp.isCompletion else { return }
            let key = UInt32(hop.tlp.requesterID) << 8 | UInt32(hop.tlp.tag)
            guard let expected = outstanding.removeValue(forKey: key) else {
                unmatched.append("\(hop.tlp.kind.rawValue) req=\(BDF(hop.tlp.requesterID)) tag=\(hop.tlp.tag)")
                return
            }
            matched += 1
            if hop.tlp.status != expected.status { wrongStatus.append("\(expected.kind.rawValue) req=\(BDF(hop.tlp.requesterID)) tag=\(hop.tlp.tag): \(hop.tlp.status.label)") }
        }
        var issued = 0, posted = 0
        for n in 0..<66_000 {
            let requester = requesters[Int(rng.next() % UInt64(requesters.count))]
            let kind = [TLP.Kind.memoryRead, .memoryRead, .memoryWrite, .configRead1][Int(rng.next() % 4)]
            let address: UInt64
            switch rng.next() % 3 {
            case 0: address = rng.next() % rc.hostMemoryLimit & ~0x3                      // host memory
            case 1: let bar = bars[Int(rng.next() % UInt64(bars.count))]; address = bar.base + rng.next() % bar.size & ~0x3
            default: address = 0x8000_0000 | rng.next() % 0x4000_0000 & ~0x3            // nothing there
            }
            // A tag this requester has no request outstanding with (one per requester at a time is
            // plenty: the requests drain every few clocks).
            var tag = UInt8(truncatingIfNeeded: rng.next()), tries = 0
            while outstanding[UInt32(requester) << 8 | UInt32(tag)] != nil {
                tag &+= 1
                tries += 1
                try #require(tries < 256, "all 256 tags of \(BDF(requester)) outstanding: completions are not coming back")
            }
            let tlp = TLP(kind: kind, requesterID: requester, tag: tag, length: 1, address: address,
                          targetID: UInt16(truncatingIfNeeded: rng.next()), payload: kind == .memoryWrite ? [1] : [])
            if tlp.isPosted {
                posted += 1
            } else {
                let inBAR = bars.contains { address >= $0.base && address - $0.base < $0.size }
                let success = kind == .memoryRead && (address < rc.hostMemoryLimit || inBAR)
                outstanding[UInt32(requester) << 8 | UInt32(tag)] = (success ? .successful : .unsupportedRequest, kind)
                issued += 1
            }
            try Self.inject(tlp.encode(), serial: UInt64(n), platform: platform, link: link)
        }
        // The NIC's replies to reads of its BARs queued behind the injected stream: let them
        // drain, in bounded steps.
        for _ in 0..<500 where !outstanding.isEmpty { platform.simulator.run(clocks: 1_000) }
        #expect(issued > 40_000 && posted > 10_000)
        #expect(matched == issued, "every non-posted request completed exactly once")
        #expect(outstanding.isEmpty, "\(outstanding.count) requests never completed")
        #expect(unmatched.isEmpty, "completions without a request: \(unmatched.prefix(5))")
        #expect(wrongStatus.isEmpty, "\(wrongStatus.prefix(5))")
        #expect(rc.counters.acsViolations == garbage.acsViolations, "real requesters pass Source Validation")
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
        #expect(lines.contains { $0.hasPrefix("top.cpu programs=0/") }, "the PF set-up ran and finished; no VM, no driver left running")
    }
}
