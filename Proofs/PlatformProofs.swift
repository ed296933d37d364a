import PCIe
import RTL
import SMT

/// One checked property of a platform.
public struct PropertyResult: Sendable {
    /// "routing IDs", "BAR apertures", "peer-to-peer".
    public let family: String
    /// What it is about: a PF (`nic0.pf0`) or a routing element (`sw0`).
    public let subject: String
    public let property: String
    public let outcome: ProofOutcome
    /// For a violation: the counterexample in domain terms, replayed on the concrete code.
    public let explanation: String?
    /// For a peer-to-peer, DMA or interrupt violation: the write to replay in a cycle run
    /// (`iovsim run --write`), and the dword it writes when that matters (an MSI's data).
    public var replay: (function: String, address: UInt64)?
    public var replayData: UInt32?
    /// For an L2 or anti-spoofing violation: the frame to send in a cycle run (`iovsim run --frame`).
    public var frame: FrameReplay?

    public init(family: String, subject: String, property: String, outcome: ProofOutcome, explanation: String?,
                replay: (function: String, address: UInt64)? = nil, replayData: UInt32? = nil, frame: FrameReplay? = nil) {
        self.family = family
        self.subject = subject
        self.property = property
        self.outcome = outcome
        self.explanation = explanation
        self.replay = replay
        self.replayData = replayData
        self.frame = frame
    }
}

/// The property families of DESIGN.md §5 that concern the PCIe platform, each evaluated
/// through the generic functions the simulator runs (`RoutingID`, `VFAperture`,
/// `PortRouting`), with the configured state fixed and the VF index, address, requester and
/// address type free.
public enum PlatformProofs {
    /// `jobs`: properties checked on up to that many threads; the results (and their order)
    /// are the same for any number.
    public static func check(_ state: PlatformState, limits: SolverLimits = SolverLimits(), hooks: ProofHooks = ProofHooks(), jobs: Int = 1) throws -> [PropertyResult] {
        var results = try parallelMap(state.vfBlocks, jobs: jobs) { block in
            try routingIDs(block, state: state, limits: limits) + apertures(block, state: state, limits: limits)
        }.flatMap { $0 }
        results += try peerToPeer(state, limits: limits, hooks: hooks.routing)
        if let dma = state.dma {
            results += try dmaIsolation(dma, limits: limits, hooks: hooks.translation, jobs: jobs)
            let names = Dictionary(state.functions.map { ($0.rid, $0.name) }, uniquingKeysWith: { a, _ in a })
            results += try interruptIsolation(dma, names: names, limits: limits, hooks: hooks.interrupt, jobs: jobs)
        }
        if let nic = state.nic {
            results += try l2Isolation(nic, limits: limits, hooks: hooks.sorter)
            results += try antiSpoofing(nic, limits: limits, hooks: hooks.transmit, jobs: jobs)
            results += try registerWindows(nic, limits: limits, hooks: hooks.window, jobs: jobs)
        }
        return results
    }

    /// What `check` quantifies over, per family, in the words of the report: which VFs, which
    /// VF BARs, which VMs' requests at which ports. A family with nothing is left out.
    public static func coverage(_ state: PlatformState) -> [(family: String, items: [String])] {
        let routing = state.vfBlocks.filter { $0.path.last.flatMap(state.port) != nil }.map { block in
            "\(block.layout.numVFs) VFs of \(block.pfName)" + (block.routingByNumVFs.count > 1 ? " (and NumVFs 1...\(block.totalVFs))" : "")
        }
        let bars = state.vfBlocks.filter { !$0.vfBARs.isEmpty }.map { block in
            "\(block.vfBARs.count) VF BAR\(block.vfBARs.count == 1 ? "" : "s") x \(block.layout.numVFs) VFs of \(block.pfName)"
        }
        var p2p: [String] = []
        for element in state.elements {
            for (k, port) in element.ports.enumerated() {
                let vms = Set(state.functions(below: element.name, port: k).compactMap(\.owner))
                if !vms.isEmpty { p2p.append("\(vms.sorted().joined(separator: "+")) at \(element.name).\(port.name)") }
            }
        }
        return [("routing IDs", routing), ("BAR apertures", bars), ("peer-to-peer", p2p), ("DMA isolation", dmaCoverage(state.dma)),
                ("interrupt isolation", interruptCoverage(state.dma))] + nicCoverage(state.nic).filter { !$0.1.isEmpty }
    }

    /// The same in one phrase for a summary line: "8 VFs of 2 PFs, 4 VF BARs, 3 ports with VM
    /// traffic"; `coverage` is what `coverage(state)` returned.
    public static func coverageSummary(_ state: PlatformState, coverage: [(family: String, items: [String])]) -> String {
        let vfs = state.vfBlocks.reduce(0) { $0 + Int($1.layout.numVFs) }
        let bars = state.vfBlocks.reduce(0) { $0 + $1.vfBARs.count }
        let pairs = coverage.first { $0.family == "peer-to-peer" }?.items.count ?? 0
        return "\(vfs) VFs of \(state.vfBlocks.count) PF\(state.vfBlocks.count == 1 ? "" : "s"), \(bars) VF BAR\(bars == 1 ? "" : "s"), " +
            "\(pairs) port\(pairs == 1 ? "" : "s") with VM traffic"
    }

    /// The NIC families' coverage: VMs per port, VFs of VMs.
    static func nicCoverage(_ nic: NICState?) -> [(family: String, items: [String])] {
        guard let nic else { return [] }
        let l2 = nic.ports.filter { !$0.vms.isEmpty }.map { "\($0.vms.joined(separator: "+")) at \($0.name)" }
        let vfs = nic.ports.map { port in (port.name, port.pools.filter { $0.vm != nil && $0.vf != nil }.count) }.filter { $0.1 > 0 }
        let perPort = vfs.map { "\($0.1) VF\($0.1 == 1 ? "" : "s") of VMs at \($0.0)" }
        return [("L2 isolation", l2), ("anti-spoofing", perPort), ("register windows", perPort)].filter { !$0.1.isEmpty }
    }

    // MARK: Routing IDs

    static func routingIDs(_ block: PlatformState.VFBlock, state: PlatformState, limits: SolverLimits) throws -> [PropertyResult] {
        guard let hop = block.path.last, let port = state.port(hop) else { return [] }
        let own = Set(state.functions.filter { $0.name.hasPrefix(block.pfName + ".vf") }.map(\.rid))
        let others = [block.layout.pfRID] + state.allRIDs.filter { !own.contains($0) && $0 != block.layout.pfRID }
        var results: [PropertyResult] = []
        // The configured NumVFs, then every other (offset, stride) the device reports for some
        // NumVFs, at the largest NumVFs that uses it (SR-IOV 1.1 §3.3.10: they may change).
        var layouts = [(block.layout, "")]
        var seen = Set([VFRouting(firstVFOffset: block.layout.firstVFOffset, vfStride: block.layout.vfStride)])
        for n in block.routingByNumVFs.keys.sorted(by: >) {
            let routing = block.routingByNumVFs[n]!
            guard seen.insert(routing).inserted else { continue }
            var layout = block.layout
            layout.numVFs = n
            layout.firstVFOffset = routing.firstVFOffset
            layout.vfStride = routing.vfStride
            layouts.append((layout, " (NumVFs=\(n))"))
        }
        // Who holds a RID besides this PF's VFs: other functions and ports, by name.
        func holders(_ rid: UInt16) -> [String] {
            state.functions.filter { $0.rid == rid && !$0.name.hasPrefix(block.pfName + ".vf") }.map(\.name)
                + state.elements.flatMap { e in e.ports.filter { $0.rid == rid }.map { "port \(e.name).\($0.name)" } }
        }
        for (layout, suffix) in layouts {
            let placement = RoutingIDProof.Placement(layout: layout, secondaryBus: port.secondaryBus, subordinateBus: port.subordinateBus,
                                                     otherRIDs: suffix.isEmpty ? others : [layout.pfRID] + others.filter { !own.contains($0) })
            for finding in try RoutingIDProof.check(placement, limits: limits) {
                results.append(PropertyResult(family: "routing IDs", subject: block.pfName, property: finding.property + suffix,
                                              outcome: finding.outcome, explanation: finding.witness.map {
                                                  explain($0, layout: layout, port: port, pfName: block.pfName, owners: holders)
                                              }))
            }
        }
        results.append(try reachability(block, port: port, limits: limits))
        return results
    }

    static func explain(_ witness: RoutingIDProof.Witness, layout: SRIOVLayout, port: PlatformState.Port, pfName: String,
                        owners: (UInt16) -> [String]) -> String {
        switch witness {
        case .busOutOfRange(let vf, let bus):
            "VF \(vf) needs bus 0x\(String(bus, radix: 16)); port \(port.name) decodes buses [\(hex2(port.secondaryBus)), \(hex2(port.subordinateBus))]"
        case .functionCollision(let vf, let rid):
            "VF \(vf) of \(pfName) takes RID \(BDF(rid)) of " + (owners(rid).isEmpty ? "another function" : owners(rid).joined(separator: " and "))
        default:
            witness.description
        }
    }

    /// Every VF answers config requests through its port: the bus is in range and, on the
    /// port's secondary bus without ARI Forwarding, only Device 0 is reachable.
    static func reachability(_ block: PlatformState.VFBlock, port: PlatformState.Port, limits: SolverLimits) throws -> PropertyResult {
        let layout = block.layout
        let outcome = try withProof(limits: limits) { proof in
            let i = try proof.variable("vf_i", as: Bits<Symbolic, 16>.self)
            let rid = RoutingID.vf(pf: Bits(UInt64(layout.pfRID)), firstVFOffset: Bits(UInt64(layout.firstVFOffset)),
                                   vfStride: Bits(UInt64(layout.vfStride)), vfIndex: i)
            let tlp = RouteFields<Symbolic>(idRouted: 1, isCompletion: 0, isConfig: 1, targetID: rid, address: 0,
                                            requesterID: 0, addressType: 0)
            let decode = decodePort(port, Symbolic.self)
            return try proof.check(PortRouting.claims(tlp, decode) & ~PortRouting.unreachable(tlp, decode),
                                   assuming: [i .< Bits(UInt64(layout.numVFs))])
        }
        let explanation = outcome.result.counterexample.map { cex -> String in
            let vf = Int(cex["vf_i"]!)
            let bdf = BDF(layout.vfRID(vf))
            let request = RouteFields<Concrete>(idRouted: 1, isCompletion: 0, isConfig: 1, targetID: Bits(UInt64(bdf.rid)), address: 0,
                                                requesterID: 0, addressType: 0)
            let why = PortRouting.claims(request, decodePort(port, Concrete.self)).isSet
                ? "device \(bdf.device) on its secondary bus without ARI Forwarding"
                : "bus \(hex2(bdf.bus)) is outside its range [\(hex2(port.secondaryBus)), \(hex2(port.subordinateBus))]"
            return "VF \(vf) at \(bdf) is not reachable by config requests through \(port.name): \(why)"
        }
        return PropertyResult(family: "routing IDs", subject: block.pfName, property: "VFs reachable by config requests",
                              outcome: outcome, explanation: explanation)
    }

    static func decodePort<A>(_ port: PlatformState.Port, _: A.Type) -> DownstreamPort<A> {
        DownstreamPort(secondaryBus: Bits(UInt64(port.secondaryBus)), subordinateBus: Bits(UInt64(port.subordinateBus)),
                       memoryBase: Bits(port.memoryWindow.base), memoryLimit: Bits(port.memoryWindow.limit),
                       prefetchableBase: Bits(port.prefetchableWindow.base), prefetchableLimit: Bits(port.prefetchableWindow.limit),
                       ariForwarding: Bit(port.ariForwarding), acsControl: Bits(UInt64(port.acsControl)))
    }

    // MARK: BAR apertures

    static func apertures(_ block: PlatformState.VFBlock, state: PlatformState, limits: SolverLimits) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        let n = Bits<Symbolic, 64>(UInt64(block.layout.numVFs))
        for bar in block.vfBARs {
            let label = "VF BAR\(bar.index)"
            let base = Bits<Symbolic, 64>(bar.base), size = Bits<Symbolic, 64>(bar.size)
            func aperture(_ i: Bits<Symbolic, 64>) -> Bits<Symbolic, 64> { VFAperture.base(vfBARBase: base, perVFSize: size, vfIndex: i) }
            func concrete(_ i: UInt64) -> UInt64 {
                VFAperture.base(vfBARBase: Bits<Concrete, 64>(bar.base), perVFSize: Bits(bar.size), vfIndex: Bits(i)).value
            }
            func result(_ property: String, _ outcome: ProofOutcome, _ explain: (Counterexample) -> String) -> PropertyResult {
                PropertyResult(family: "BAR apertures", subject: block.pfName, property: "\(label) \(property)", outcome: outcome,
                               explanation: outcome.result.counterexample.map(explain))
            }

            let page = Bits<Symbolic, 64>(block.systemPageSize)
            results.append(result("apertures aligned to System Page Size and own size", try withProof(limits: limits) { proof in
                let i = try proof.variable("vf_i", as: Bits<Symbolic, 64>.self)
                let a = aperture(i)
                return try proof.check(((a & (page - 1)) .== 0) & ((a & (size - 1)) .== 0), assuming: [i .< n])
            }) { cex in
                let vf = cex["vf_i"]!, at = concrete(vf)
                var broken: [String] = []
                if at & (block.systemPageSize &- 1) != 0 { broken.append("the System Page Size 0x\(String(block.systemPageSize, radix: 16))") }
                if at & (bar.size &- 1) != 0 { broken.append("its own size 0x\(String(bar.size, radix: 16))") }
                return "VF \(vf)'s \(label) aperture at 0x\(String(at, radix: 16)) is not aligned to \(broken.joined(separator: " nor to "))"
            })

            results.append(result("apertures pairwise disjoint", try withProof(limits: limits) { proof in
                let i = try proof.variable("vf_i", as: Bits<Symbolic, 64>.self)
                let j = try proof.variable("vf_j", as: Bits<Symbolic, 64>.self)
                let ai = aperture(i), aj = aperture(j)
                let ei = ai + size, ej = aj + size
                let noWrap = (ei .> ai) & (ej .> aj)
                return try proof.check(noWrap & ((ei .<= aj) | (ej .<= ai)), assuming: [i .< n, j .< n, i .!= j])
            }) { cex in
                let a = cex["vf_i"]!, b = cex["vf_j"]!
                return "VF \(a) at 0x\(String(concrete(a), radix: 16)) and VF \(b) at 0x\(String(concrete(b), radix: 16)) overlap (size 0x\(String(bar.size, radix: 16)))"
            })

            let own = block.pfName + ".vf"
            let others = state.functions.flatMap { f in f.ranges.filter { r in r.size > 0 && !(f.name.hasPrefix(own) && r.label == label) }.map { (f.name, $0) } }
            // One term per run of adjacent BARs (a PF's VF BARk is one run however many VFs it
            // has): the query grows with the number of PFs, not of VFs.
            let otherRuns = coalesce(others.map(\.1))
            results.append(result("apertures disjoint from every other BAR", try withProof(limits: limits) { proof in
                let i = try proof.variable("vf_i", as: Bits<Symbolic, 64>.self)
                let a = aperture(i), e = a + size
                let apart = Bit<Symbolic>.all(otherRuns.map { r in (e .<= Bits(r.base)) | (Bits(r.end) .<= a) })
                return try proof.check(apart, assuming: [i .< n])
            }) { cex in
                let vf = cex["vf_i"]!, at = concrete(vf)
                let hit = others.first { _, r in at < r.base &+ r.size && r.base < at &+ bar.size }
                return "VF \(vf)'s \(label) aperture [0x\(String(at, radix: 16)), +0x\(String(bar.size, radix: 16))) overlaps " +
                    (hit.map { "\($0.0) \($0.1.label) at 0x\(String($0.1.base, radix: 16))" } ?? "another BAR")
            })

            let ports = block.path.compactMap { hop in state.port(hop) }
            results.append(result("apertures inside every bridge window above", try withProof(limits: limits) { proof in
                let i = try proof.variable("vf_i", as: Bits<Symbolic, 64>.self)
                let a = aperture(i)
                let first = memoryRequest(address: a), last = memoryRequest(address: a + size - 1)
                let inside = Bit<Symbolic>.all(ports.map { port in
                    let decode = decodePort(port, Symbolic.self)
                    return PortRouting.claims(first, decode) & PortRouting.claims(last, decode)
                })
                return try proof.check(inside, assuming: [i .< n])
            }) { cex in
                let vf = cex["vf_i"]!, at = concrete(vf)
                let outside = ports.first { port in
                    !PortRouting.claims(memoryRequest(address: Bits<Concrete, 64>(at)), decodePort(port, Concrete.self)).isSet
                        || !PortRouting.claims(memoryRequest(address: Bits<Concrete, 64>(at &+ bar.size &- 1)), decodePort(port, Concrete.self)).isSet
                }
                return "VF \(vf)'s \(label) aperture at 0x\(String(at, radix: 16)) lies outside the windows of \(outside?.name ?? "a port above")"
            })
        }
        return results
    }

    /// The union of `ranges` as few half-open runs [base, end), adjacent and overlapping ranges
    /// merged. A range that wraps past 2^64 is kept apart (its end is below its base).
    static func coalesce(_ ranges: [PlatformState.Range]) -> [(base: UInt64, end: UInt64)] {
        var runs: [(base: UInt64, end: UInt64)] = []
        for r in ranges.sorted(by: { $0.base < $1.base }) {
            let end = r.base &+ r.size
            if let last = runs.last, end > r.base, last.end > last.base, r.base <= last.end {
                runs[runs.count - 1].end = max(last.end, end)
            } else {
                runs.append((r.base, end))
            }
        }
        return runs
    }

    /// An untranslated memory write from requester 0 to `address`: what window decode sees.
    static func memoryRequest<A>(address: Bits<A, 64>, requester: Bits<A, 16> = 0, addressType: Bits<A, 2> = 0) -> RouteFields<A> {
        RouteFields(idRouted: 0, isCompletion: 0, isConfig: 0, targetID: 0, address: address, requesterID: requester, addressType: addressType)
    }

    // MARK: Peer-to-peer

    /// With the ACS settings configured, no memory request (any address, any address type)
    /// from a function of one VM, arriving at a port, is routed by that element straight to
    /// another port below which the address is a BAR of a function of another owner: it must
    /// go up, toward the root complex and its IOMMU, or be refused.
    static func peerToPeer(_ state: PlatformState, limits: SolverLimits, hooks: RoutingHooks) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        for element in state.elements {
            func below(_ k: Int) -> [PlatformState.Function] { state.functions(below: element.name, port: k) }
            for i in element.ports.indices {
                let requesters = below(i).filter { $0.owner != nil }
                for vm in Set(requesters.compactMap(\.owner)).sorted() {
                    let rids = requesters.filter { $0.owner == vm }.map(\.rid)
                    let targets = element.ports.indices.filter { $0 != i }.map { k in
                        (k, below(k).filter { ($0.owner ?? "host") != vm }.flatMap { f in f.ranges.filter { $0.size > 0 }.map { (f, $0) } })
                    }
                    let outcome = try withProof(limits: limits) { proof in
                        let address = try proof.variable("address", as: Bits<Symbolic, 64>.self)
                        let requester = try proof.variable("requester", as: Bits<Symbolic, 16>.self)
                        let at = try proof.variable("address_type", as: Bits<Symbolic, 2>.self)
                        let tlp = memoryRequest(address: address, requester: requester, addressType: at)
                        let route = PortRouting.route(tlp, ingress: Bits(UInt64(i + 1)), ports: element.ports.map { decodePort($0, Symbolic.self) }, hooks: hooks)
                        let safe = Bit<Symbolic>.all(targets.map { k, ranges in
                            let inTarget = Bit<Symbolic>.any(coalesce(ranges.map(\.1)).map { r in (address .>= Bits(r.base)) & (address .< Bits(r.end)) })
                            return inTarget.implies(route .!= Bits(UInt64(k + 1)))
                        })
                        let fromVM = Bit<Symbolic>.any(rids.map { requester .== Bits(UInt64($0)) })
                        return try proof.check(safe, assuming: [fromVM])
                    }
                    let explanation = outcome.result.counterexample.map { cex -> String in
                        let address = cex["address"]!, rid = UInt16(cex["requester"]!)
                        let source = requesters.first { $0.rid == rid }?.name ?? BDF(rid).description
                        let hit = targets.lazy.compactMap { k, ranges in
                            ranges.first { address >= $0.1.base && address - $0.1.base < $0.1.size }.map { (k, $0) }
                        }.first
                        let target = hit.map { "\($0.1.0.name) \($0.1.1.label) (owner \($0.1.0.owner ?? "host"))" } ?? "another VM's BAR"
                        let egress = hit.map { element.ports[$0.0].name } ?? "a peer port"
                        return "\(source) (\(vm)) writes 0x\(String(address, radix: 16)), in \(target): \(element.name) routes it from \(element.ports[i].name) straight to \(egress), not through the root complex (ACS control of \(element.ports[i].name): 0x\(String(element.ports[i].acsControl, radix: 16)))"
                    }
                    let replay = outcome.result.counterexample.flatMap { cex in
                        requesters.first { $0.rid == UInt16(cex["requester"]!) }.map { ($0.name, cex["address"]!) }
                    }
                    results.append(PropertyResult(family: "peer-to-peer", subject: element.name,
                                                  property: "requests of \(vm) from \(element.ports[i].name) reach no other owner's BAR directly",
                                                  outcome: outcome, explanation: explanation, replay: replay))
                }
            }
        }
        return results
    }
}

func hex2(_ value: UInt8) -> String {
    let s = String(value, radix: 16)
    return s.count == 1 ? "0" + s : s
}
