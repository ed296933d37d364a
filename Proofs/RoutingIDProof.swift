import PCIe
import RTL
import SMT

/// Routing-ID properties of one SR-IOV layout (DESIGN.md §5 "routing IDs"; SR-IOV 1.1 §2.1.2,
/// §3.3.10-3.3.11): every enabled VF's RID differs from every other VF's and from every other
/// function's, and lies on a bus its upstream port decodes, [secondary, subordinate].
///
/// The VF indices are free variables; the layout is fixed (proofs per configuration cost ~18 ms
/// where a fully symbolic offset and stride cost 42 s, z3-notes.md §5.3). Every property is
/// built by calling `RoutingID`'s generic functions on `Symbolic` words: the same code the
/// simulator runs, not a restatement of it.
public enum RoutingIDProof {
    /// Where a layout sits: its upstream port's bus range and the RIDs of the other functions
    /// it must not collide with (its own PF first).
    public struct Placement: Sendable, Equatable {
        public var layout: SRIOVLayout
        public var secondaryBus: UInt8
        public var subordinateBus: UInt8
        public var otherRIDs: [UInt16]

        public init(layout: SRIOVLayout, secondaryBus: UInt8, subordinateBus: UInt8, otherRIDs: [UInt16]? = nil) {
            self.layout = layout
            self.secondaryBus = secondaryBus
            self.subordinateBus = subordinateBus
            self.otherRIDs = otherRIDs ?? [layout.pfRID]
        }
    }

    /// A counterexample in domain terms, already replayed on the concrete interpretation.
    public enum Witness: Sendable, Equatable, CustomStringConvertible {
        /// Two VFs with one RID.
        case vfCollision(vf: Int, otherVF: Int, rid: UInt16)
        /// A VF with the RID of another function (its PF, say).
        case functionCollision(vf: Int, rid: UInt16)
        /// A VF on a bus outside [secondary, subordinate]; `bus` may be above 255.
        case busOutOfRange(vf: Int, bus: UInt32)

        public var description: String {
            switch self {
            case .vfCollision(let a, let b, let rid):
                "VF \(a) and VF \(b) share RID \(BDF(rid))"
            case .functionCollision(let vf, let rid):
                "VF \(vf) takes RID \(BDF(rid)) of another function"
            case .busOutOfRange(let vf, let bus):
                "VF \(vf) needs bus 0x\(String(bus, radix: 16)), outside the port's bus range"
            }
        }
    }

    /// One property's result.
    public struct Finding: Sendable, Equatable {
        public let property: String
        public let outcome: ProofOutcome
        public let witness: Witness?
    }

    public static let distinctVFs = "VF RIDs pairwise distinct"
    public static let distinctFromFunctions = "VF RIDs distinct from other functions"
    public static let insideBusRange = "VF RIDs inside [secondary, subordinate]"

    /// Checks the three properties, each in a fresh proof.
    public static func check(_ placement: Placement, limits: SolverLimits = SolverLimits()) throws -> [Finding] {
        let layout = placement.layout
        let pf = Bits<Symbolic, 16>(UInt64(layout.pfRID))
        let offset = Bits<Symbolic, 16>(UInt64(layout.firstVFOffset))
        let stride = Bits<Symbolic, 16>(UInt64(layout.vfStride))
        let numVFs = Bits<Symbolic, 16>(UInt64(layout.numVFs))
        func rid(_ index: Bits<Symbolic, 16>) -> Bits<Symbolic, 16> {
            RoutingID.vf(pf: pf, firstVFOffset: offset, vfStride: stride, vfIndex: index)
        }

        let distinct = try withProof(limits: limits) { proof in
            let i = try proof.variable("vf_i", as: Bits<Symbolic, 16>.self)
            let j = try proof.variable("vf_j", as: Bits<Symbolic, 16>.self)
            let outcome = try proof.check(rid(i) .!= rid(j), assuming: [i .< numVFs, j .< numVFs, i .!= j])
            let witness = outcome.result.counterexample.map { cex -> Witness in
                let a = Int(cex["vf_i"]!), b = Int(cex["vf_j"]!)
                return .vfCollision(vf: min(a, b), otherVF: max(a, b), rid: layout.vfRID(a))
            }
            return Finding(property: distinctVFs, outcome: outcome, witness: witness)
        }

        let others = try withProof(limits: limits) { proof in
            let i = try proof.variable("vf_i", as: Bits<Symbolic, 16>.self)
            let apart = Bit<Symbolic>.all(placement.otherRIDs.map { rid(i) .!= Bits(UInt64($0)) })
            let outcome = try proof.check(apart, assuming: [i .< numVFs])
            let witness = outcome.result.counterexample.map { cex -> Witness in
                let vf = Int(cex["vf_i"]!)
                return .functionCollision(vf: vf, rid: layout.vfRID(vf))
            }
            return Finding(property: distinctFromFunctions, outcome: outcome, witness: witness)
        }

        let range = try withProof(limits: limits) { proof in
            let i = try proof.variable("vf_i", as: Bits<Symbolic, 16>.self)
            let bus = RoutingID.vfBus(pf: pf, firstVFOffset: offset, vfStride: stride, vfIndex: i)
            let secondary = Bits<Symbolic, 32>(UInt64(placement.secondaryBus))
            let subordinate = Bits<Symbolic, 32>(UInt64(placement.subordinateBus))
            let outcome = try proof.check((bus .>= secondary) & (bus .<= subordinate), assuming: [i .< numVFs])
            let witness = outcome.result.counterexample.map { cex -> Witness in
                let vf = Int(cex["vf_i"]!)
                let concreteBus = RoutingID.vfBus(
                    pf: Bits<Concrete, 16>(UInt64(layout.pfRID)), firstVFOffset: Bits(UInt64(layout.firstVFOffset)),
                    vfStride: Bits(UInt64(layout.vfStride)), vfIndex: Bits(UInt64(vf)))
                return .busOutOfRange(vf: vf, bus: UInt32(concreteBus.value))
            }
            return Finding(property: insideBusRange, outcome: outcome, witness: witness)
        }
        return [distinct, others, range]
    }
}
