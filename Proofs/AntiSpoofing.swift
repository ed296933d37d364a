import NIC
import RTL
import SMT

/// Anti-spoofing (DESIGN.md §5), per VF a VM has: a frame it transmits reaches the wire or
/// another pool only if its source MAC is one of the pool's receive addresses and, tagged, its
/// VLAN one of the pool's VLAN filters. Evaluated through `TransmitSwitch.transmit` (VLAN
/// insertion, the anti-spoof check, VM-to-VM switching through the sorter, chained as the part
/// does) on the settings the PF driver wrote, for every frame the VF's driver could post.
extension PlatformProofs {
    /// "vm2", "host" for the PF's pool, "unassigned" for a VF no VM has.
    static func owner(_ pool: NICState.Pool) -> String { pool.vm ?? (pool.vf == nil ? "host" : "unassigned") }

    static func antiSpoofing(_ nic: NICState, limits: SolverLimits, hooks: TransmitHooks, jobs: Int = 1) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        for port in nic.ports {
            results += try parallelMap(port.pools.filter { $0.vm != nil && $0.vf != nil }, jobs: jobs) { pool in
                try antiSpoofing(pool, port, limits: limits, hooks: hooks)
            }.flatMap { $0 }
        }
        return results
    }

    /// The MAC and the VLAN property of one VF's pool.
    static func antiSpoofing(_ pool: NICState.Pool, _ port: NICState.Port, limits: SolverLimits, hooks: TransmitHooks) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        let tables = port.filters.lifted(to: Symbolic.self), settings = port.transmit.lifted(to: Symbolic.self)
        let bit = UInt64(1) << UInt64(pool.index)
        let macs = port.filters.receiveAddresses.filter { $0.valid.isSet && $0.pools.value & bit != 0 }.map { $0.address.value }
        let vlans = port.filters.vlanFilters.filter { $0.valid.isSet && $0.pools.value & bit != 0 }.map { $0.vlanID.value }
        // Other VMs' addresses: where a MAC witness is looked for first (the spoof that matters).
        let foreign = port.vms.filter { $0 != pool.vm }.flatMap { port.addresses(of: $0) }
        for check in ["MAC", "VLAN"] {
            func query(preferForeign: Bool) throws -> ProofOutcome {
                try withProof(limits: limits) { proof in
                    let (header, sane) = try frameVariables(proof)
                    let d = TransmitSwitch.transmit(header, pool: Bits(UInt64(pool.index)), tables, settings, hooks: hooks)
                    let own = check == "MAC" ? Bit<Symbolic>.any(macs.map { header.source .== Bits($0) })
                        : ~d.frame.tagged | Bit<Symbolic>.any(vlans.map { d.frame.vlanID .== Bits($0) })
                    let leaves = d.toWire | (d.localPools .!= .zero)
                    let prefer = preferForeign ? [Bit<Symbolic>.any(foreign.map { header.source .== Bits($0) }), ~header.tagged] : []
                    return try proof.check(leaves.implies(own), assuming: sane + prefer)
                }
            }
            var outcome = try query(preferForeign: false)
            // A MAC witness with another VM's address, when there is one.
            if outcome.result.counterexample != nil, check == "MAC", !foreign.isEmpty {
                let preferred = try query(preferForeign: true)
                if preferred.result.counterexample != nil { outcome = preferred }
            }
            let leavesUnowned = { (header: FrameHeader<Concrete>) -> Bool in
                let d = TransmitSwitch.transmit(header, pool: Bits(UInt64(pool.index)), port.filters, port.transmit, hooks: hooks)
                let own = check == "MAC" ? macs.contains(header.source.value) : !d.frame.tagged.isSet || vlans.contains(d.frame.vlanID.value)
                return (d.toWire.isSet || d.localPools.value != 0) && !own
            }
            let replay = outcome.result.counterexample.map { plain(frame($0, from: pool.function), keepSource: check == "MAC", violates: leavesUnowned) }
            let explanation = replay.map(\.frame.header).map { header -> String in
                let d = TransmitSwitch.transmit(header, pool: Bits(UInt64(pool.index)), port.filters, port.transmit, hooks: hooks)
                let source = header.source.value
                let holder = port.pools(holding: source).first
                let whose = macs.contains(source) ? "its own address" : holder.map { "\($0.function)'s address, \(owner($0))" } ?? "an address no pool has"
                let tag = d.frame.tagged.isSet ? " VLAN \(d.frame.vlanID.value)" + (vlans.contains(d.frame.vlanID.value) ? "" : " (not one of its VLANs)") : ""
                var reaches: [String] = []
                if d.toWire.isSet { reaches.append("the wire") }
                if d.localPools.value != 0 { reaches.append(describe(d.localPools.value, port)) }
                let on = check == "MAC" ? port.transmit.macAntiSpoof.value & bit != 0 : port.transmit.vlanAntiSpoof.value & bit != 0
                return "\(pool.function) (\(pool.vm!)) sends a frame from \(mac(source)) (\(whose)) to \(mac(header.destination.value))\(tag): it reaches "
                    + "\(reaches.joined(separator: " and ")) (\(check) anti-spoofing \(on ? "on" : "off") for pool \(pool.index))"
            }
            results.append(PropertyResult(family: "anti-spoofing", subject: pool.function,
                                          property: "frames \(pool.vm!)'s \(pool.function) sends leave only with its own source \(check)",
                                          outcome: outcome, explanation: explanation, frame: replay))
        }
        return results
    }
}
