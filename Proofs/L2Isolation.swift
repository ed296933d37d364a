import NIC
import RTL
import SMT

/// L2 isolation (DESIGN.md §5), per VM per port: evaluated through `L2Sorter.receive`, the
/// function the port's sorter runs, on the filters the PF driver wrote, for every frame (any
/// destination, source, VLAN and length a MAC passes on):
///
/// - unicast to an address of the VM (a receive address selecting one of its pools) reaches no
///   pool of another VM;
/// - a frame reaches the VM's pools only when addressed to them: unicast to one of its
///   addresses, broadcast to pools that accept broadcast (BAM), multicast to pools selected by
///   an exact entry or by the MTA hash with ROMPE. Unknown unicast (the default pool, ROPE)
///   and multicast promiscuous (MPME) are promiscuous modes the PF grants no VM here.
extension PlatformProofs {
    /// The frame's fields as variables; lengths a MAC passes to the sorter.
    static func frameVariables(_ proof: ProofSession) throws -> (FrameHeader<Symbolic>, [Bit<Symbolic>]) {
        let header = FrameHeader<Symbolic>(destination: try proof.variable("dst", as: Bits<Symbolic, 48>.self),
                                           source: try proof.variable("src", as: Bits<Symbolic, 48>.self),
                                           tagged: try proof.variable("tagged", as: Bit<Symbolic>.self),
                                           vlanID: try proof.variable("vlan", as: Bits<Symbolic, 12>.self),
                                           length: try proof.variable("len", as: Bits<Symbolic, 16>.self))
        let sane = [header.length .>= Bits(64), header.length .<= Bits(9018), header.tagged.implies((header.vlanID .!= .zero) & (header.vlanID .!= Bits(0xFFF)))]
        return (header, sane)
    }

    /// The counterexample's frame, as the replay that sends it from `from`.
    static func frame(_ cex: Counterexample, from: String) -> FrameReplay {
        FrameReplay(from: from, destination: cex["dst"] ?? 0, source: cex["src"] ?? 0, vlan: cex["tagged"] == 1 ? UInt16(cex["vlan"] ?? 0) : nil,
                    length: Int(cex["len"] ?? 64))
    }

    static func mac(_ value: UInt64) -> String { MACWords.text(value) }

    /// The witness with what does not matter to it made plain: a source outside the platform
    /// (when `keepSource` is false), no tag, 64 bytes; each change kept only if the frame still
    /// `violates` (run on the concrete functions).
    static func plain(_ replay: FrameReplay, keepSource: Bool, violates: (FrameHeader<Concrete>) -> Bool) -> FrameReplay {
        var best = replay
        var changes: [(inout FrameReplay) -> Void] = [{ $0.vlan = nil }, { $0.length = 64 }]
        if !keepSource { changes.insert({ $0.source = 0x02_10_00_00_00_01 }, at: 0) }
        for change in changes {
            var candidate = best
            change(&candidate)
            if violates(candidate.frame.header) { best = candidate }
        }
        return best
    }

    /// "pool 1 (nic0.pf0.vf1, vm2)"; past four pools, the VMs' first and a count of the rest.
    static func describe(_ pools: UInt64, _ port: NICState.Port) -> String {
        let all = (0..<64).filter { pools >> UInt64($0) & 1 == 1 }
        let shown = all.count <= 4 ? all : Array((all.filter { port.pool($0)?.vm != nil } + all.filter { port.pool($0)?.vm == nil }).prefix(4))
        let text = shown.map { k in port.pool(k).map { "pool \(k) (\($0.function), \(owner($0)))" } ?? "pool \(k)" }.joined(separator: ", ")
        return all.count > shown.count ? "\(text) and \(all.count - shown.count) more pools" : text
    }

    static func l2Isolation(_ nic: NICState, limits: SolverLimits, hooks: SorterHooks) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        for port in nic.ports {
            let tables = port.filters.lifted(to: Symbolic.self)
            for vm in port.vms {
                let mine = port.poolMap(vm)
                let others = port.vms.filter { $0 != vm }.reduce(UInt64(0)) { $0 | port.poolMap($1) }
                let addresses = port.addresses(of: vm)
                func result(_ property: String, _ outcome: ProofOutcome, violates: (FrameHeader<Concrete>, L2Sorter.Decision<Concrete>) -> Bool,
                            explain: (FrameHeader<Concrete>, L2Sorter.Decision<Concrete>) -> String) -> PropertyResult {
                    let replay = outcome.result.counterexample.map { cex in
                        plain(frame(cex, from: port.name), keepSource: false) { violates($0, L2Sorter.receive($0, port.filters, hooks: hooks)) }
                    }
                    return PropertyResult(family: "L2 isolation", subject: "\(vm) at \(port.name)", property: property, outcome: outcome,
                                          explanation: replay.map { explain($0.frame.header, L2Sorter.receive($0.frame.header, port.filters, hooks: hooks)) },
                                          frame: replay)
                }
                if !addresses.isEmpty, others != 0 {
                    let outcome = try withProof(limits: limits) { proof in
                        let (header, sane) = try frameVariables(proof)
                        let toVM = Bit<Symbolic>.any(addresses.map { header.destination .== Bits($0) })
                        let d = L2Sorter.receive(header, tables, hooks: hooks)
                        return try proof.check((d.pools & Bits(others)) .== .zero, assuming: sane + [toVM])
                    }
                    let leaks = { (header: FrameHeader<Concrete>, d: L2Sorter.Decision<Concrete>) in
                        addresses.contains(header.destination.value) && d.pools.value & others != 0
                    }
                    results.append(result("unicast to \(vm)'s addresses reaches no pool of another VM", outcome, violates: leaks) { header, d in
                        let owner = port.pools(holding: header.destination.value).first { $0.vm == vm }
                        return "a frame to \(mac(header.destination.value))" + (owner.map { " (\($0.function)'s address, \(vm))" } ?? "")
                            + " reaches \(describe(d.pools.value & others, port))"
                    })
                }
                let outcome = try withProof(limits: limits) { proof in
                    let (header, sane) = try frameVariables(proof)
                    let d = L2Sorter.receive(header, tables, hooks: hooks)
                    let got = d.pools & Bits(mine)
                    var exact = Bits<Symbolic, 64>.zero
                    for entry in tables.receiveAddresses { exact = exact | mux(entry.valid & (entry.address .== header.destination), entry.pools, .zero) }
                    let index = L2Sorter.hashIndex(header.destination, offset: tables.multicastOffset)
                    let hashed = mux(L2Sorter.tableBit(tables.multicastTable, index), tables.acceptHashedMulticast, .zero)
                    let addressed = Bit<Symbolic>.any(addresses.map { header.destination .== Bits($0) })
                    let allowed = mux(header.isBroadcast, tables.acceptBroadcast, mux(header.isMulticast, exact | hashed, mux(addressed, Bits<Symbolic, 64>.max, .zero)))
                    return try proof.check((got & ~allowed) .== .zero, assuming: sane)
                }
                // Concretely: reaches a pool of the VM that neither its addresses, BAM, an exact
                // entry nor the hash with ROMPE accounts for.
                let unaddressed = { (header: FrameHeader<Concrete>, d: L2Sorter.Decision<Concrete>) -> Bool in
                    let f = port.filters, dst = header.destination.value
                    let exact = port.poolMap(holding: dst)
                    let hashed = L2Sorter.tableBit(f.multicastTable, L2Sorter.hashIndex(header.destination, offset: f.multicastOffset)).isSet ? f.acceptHashedMulticast.value : 0
                    let allowed = header.isBroadcast.isSet ? f.acceptBroadcast.value : header.isMulticast.isSet ? exact | hashed : addresses.contains(dst) ? ~0 : 0
                    return d.pools.value & mine & ~allowed != 0
                }
                results.append(result("frames reach \(vm)'s pools only as addressed (no promiscuous reception)", outcome, violates: unaddressed) { header, d in
                    let kind = header.isBroadcast.isSet ? "broadcast" : header.isMulticast.isSet ? "multicast" : "unicast"
                    let why = header.isUnicast.isSet ? (port.filters.defaultPool.value < 64 && d.pools.value & mine == 1 << port.filters.defaultPool.value
                                                        && !d.exactMatch.isSet ? ": the pool is the default pool (VT_CTL.DEF_PL) for unknown unicast" : "")
                        : header.isMulticast.isSet && port.filters.multicastPromiscuous.value & mine != 0 ? ": multicast promiscuous (MPME)" : ""
                    return "a \(kind) frame to \(mac(header.destination.value))\(header.tagged.isSet ? " VLAN \(header.vlanID.value)" : "") that no entry of \(vm) selects reaches "
                        + describe(d.pools.value & mine, port) + why
                })
            }
        }
        return results
    }
}
