import NIC
import RTL
import SMT

/// Register-window isolation (DESIGN.md §5), per VF a VM has: every offset of its BAR0 (any of
/// the 65,536, aligned or not) reaches only registers its pool owns (`RegisterMap.vf(owning:)`),
/// or the device's status registers every VF may read; a write reaches only its own. Evaluated
/// through `VFRegisterWindow`, the mapping the NIC's register file decodes VF accesses with.
extension PlatformProofs {
    static func registerWindows(_ nic: NICState, limits: SolverLimits, hooks: WindowHooks, jobs: Int = 1) throws -> [PropertyResult] {
        var results: [PropertyResult] = []
        for port in nic.ports {
            let map = port.map
            let shared = ["STATUS", "LINKS"].compactMap { map.register(named: $0)?.offset }
            let owned = map.offsetsByVF
            results += try parallelMap(port.pools.filter { $0.vm != nil && $0.vf != nil }, jobs: jobs) { pool -> PropertyResult in
                let vf = pool.vf!
                func window<A>(_ offset: Bits<A, 16>) -> VFRegisterWindow.Target<A> {
                    map.family == "82576" ? VFRegisterWindow.i82576(vf: Bits(UInt64(vf)), offset: offset, hooks: hooks)
                                          : VFRegisterWindow.i82599(vf: Bits(UInt64(vf)), offset: offset, hooks: hooks)
                }
                let own = owned[vf] ?? []
                let outcome = try withProof(limits: limits) { proof in
                    let offset = try proof.variable("offset", as: Bits<Symbolic, 16>.self)
                    let t = window(offset)
                    let isOwn = Bit<Symbolic>.any(own.map { t.pfOffset .== Bits(UInt64($0)) })
                    let isShared = Bit<Symbolic>.any(shared.map { t.pfOffset .== Bits(UInt64($0)) })
                    return try proof.check(t.writable.implies(isOwn) & t.hit.implies(isOwn | isShared))
                }
                let explanation = outcome.result.counterexample.map { cex -> String in
                    let offset = cex["offset"] ?? 0
                    let t = window(Bits<Concrete, 16>(offset))
                    let target = Int(t.pfOffset.value), register = map.register(at: target)
                    let holder = register.flatMap { map.vf(owning: $0) }
                    let whose = holder.map { k in port.pool(k).map { "VF \(k)'s (\($0.function), \(owner($0)))" } ?? "VF \(k)'s" } ?? "not a VF's (the PF's or the device's)"
                    return "\(pool.function) (\(pool.vm!)) \(t.writable.isSet ? "writes" : "reads") offset 0x\(String(offset, radix: 16)) of its BAR0: it reaches "
                        + "\(register?.name ?? "PF offset") at 0x\(String(target, radix: 16)), which is \(whose)"
                }
                return PropertyResult(family: "register windows", subject: pool.function,
                                      property: "every offset of \(pool.vm!)'s \(pool.function) BAR0 reaches only its own registers",
                                      outcome: outcome, explanation: explanation)
            }
        }
        return results
    }
}
