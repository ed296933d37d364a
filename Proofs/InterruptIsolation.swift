import Host
import PCIe
import RTL
import SMT

/// Interrupt isolation (DESIGN.md §5): every MSI write a function assigned to a VM can issue —
/// any address in the interrupt range 0xFEEx_xxxx, any data — is delivered only to its VM's
/// destination, or blocked. Evaluated through `InterruptRemapping.deliver`, the function the
/// root complex's interrupt path runs, on the interrupt remapping table the VMM wrote as it is
/// at the clock of the proof (and, with remapping off, the compatibility format, where the
/// device names the destination itself).
extension PlatformProofs {
    static func interruptIsolation(_ dma: DMAState, names: [UInt16: String], limits: SolverLimits, hooks: InterruptHooks, jobs: Int = 1) throws -> [PropertyResult] {
        guard dma.translationEnabled || dma.interruptRemapping else { return [] }
        let pages = DMAState.interruptTablePages(base: dma.interruptTable, sizeField: dma.interruptTableSize).compactMap { p in dma.pages[p].map { (page: p, words: $0) } }
        let outcomes = try perVM(dma.functions.filter { dma.destinations[$0.vm] != nil }, jobs: jobs) { functions in
            func query(plain: Bool) throws -> ProofOutcome {
                try withProof(limits: limits) { proof in
                    let requester = try proof.variable("requester", as: Bits<Symbolic, 16>.self)
                    let address = try proof.variable("msi_address", as: Bits<Symbolic, 32>.self)
                    let data = try proof.variable("msi_data", as: Bits<Symbolic, 32>.self)
                    let r = deliver(requester, dma, address: address, data: data, tables: SnapshotTables(pages: pages, memorySize: dma.memorySize), hooks: hooks)
                    let among = Bit<Symbolic>.any(functions.map { requester .== Bits(UInt64($0.rid)) })
                    let own = Bits<Symbolic, 32>(UInt64(dma.destinations[functions[0].vm]!))
                    // A plain witness first asked for: the handle alone (no subhandle), data 0.
                    let plainness = plain ? [~address[bit: 3], data .== .zero] : []
                    return try proof.check(r.delivered.implies(r.destination .== own), assuming: [(address >> Bits(20)) .== Bits(0xFEE), among] + plainness)
                }
            }
            let outcome = try query(plain: false)
            guard outcome.result.counterexample != nil, functions.count == 1 else { return outcome }
            let plain = try query(plain: true)
            return plain.result.counterexample != nil ? plain : outcome
        }
        return dma.functions.compactMap { f in
            guard let outcome = outcomes[f.rid] else { return nil }
            let cex = outcome.result.counterexample
            return PropertyResult(family: "interrupt isolation", subject: f.name,
                                  property: "every MSI write of \(f.vm)'s \(f.name) reaches only \(f.vm)'s destination or is blocked",
                                  outcome: outcome, explanation: cex.map { explainInterrupt($0, f, dma, names: names, hooks: hooks) },
                                  replay: cex.map { (f.name, $0["msi_address"] ?? 0) }, replayData: cex.map { UInt32($0["msi_data"] ?? 0) })
        }
    }

    static func deliver<A, T: TranslationTables>(_ requester: Bits<A, 16>, _ dma: DMAState, address: Bits<A, 32>, data: Bits<A, 32>, tables: T,
                                                 hooks: InterruptHooks) -> InterruptRemapping.Result<A> where T.A == A {
        InterruptRemapping.deliver(enabled: Bit(dma.interruptRemapping), tableBase: Bits(dma.interruptTable), sizeField: Bits(UInt64(dma.interruptTableSize)),
                                   requester: requester, address: address, data: data, tables: tables, hooks: hooks)
    }

    /// The counterexample replayed: which entry, what validation, whose destination.
    static func explainInterrupt(_ cex: Counterexample, _ f: DMAState.Function, _ dma: DMAState, names: [UInt16: String], hooks: InterruptHooks) -> String {
        let address = cex["msi_address"] ?? 0, data = cex["msi_data"] ?? 0
        let r = deliver(Bits<Concrete, 16>(UInt64(f.rid)), dma, address: Bits(address), data: Bits(data), tables: ConcreteSnapshot(state: dma), hooks: hooks)
        let destination = UInt32(r.destination.value)
        let victim = dma.destinations.first { $0.value == destination }?.key ?? (destination == 0 ? "the host" : "no VM")
        let write = "\(f.name) (\(f.vm)) writes 0x\(String(data, radix: 16)) to 0x\(String(address, radix: 16))"
        let reaches = "vector 0x\(String(r.vector.value, radix: 16)) at destination \(destination) (\(victim))"
        guard dma.interruptRemapping else { return "\(write): interrupt remapping is off, so the compatibility-format write delivers \(reaches)" }
        let index = r.index.value, entry = dma.interruptTable & SecondLevelTranslation.addressMask + 16 * index
        let high = dma.read64(entry + 8), sid = UInt16(high & 0xFFFF), svt = high >> 18 & 3
        let validation = switch svt {
        case 0: "SVT 00: no source validation"
        case 1: "SVT 01: requester \(BDF(sid))" + (hooks.ignoreSourceValidation ? ", skipped by the hook" : "")
        case 2: "SVT 10: any requester on buses \(hex2(UInt8(sid >> 8)))-\(hex2(UInt8(sid & 0xFF)))" + (hooks.ignoreSourceValidation ? ", skipped by the hook" : "")
        default: "SVT 11 (reserved)"
        }
        let writtenFor = svt == 1 ? names[sid].map { ", written for \($0)" } ?? "" : ""
        return "\(write): interrupt remapping entry \(index) (\(validation)\(writtenFor)) delivers \(reaches)"
    }

    /// "4 functions, remapping on (256 entries)" for the coverage line.
    static func interruptCoverage(_ dma: DMAState?) -> [String] {
        guard let dma, dma.translationEnabled || dma.interruptRemapping, !dma.functions.isEmpty else { return [] }
        let table = dma.interruptRemapping ? "remapping on, \(1 << (Int(dma.interruptTableSize) + 1)) entries" : "remapping off"
        return ["\(dma.functions.count) function\(dma.functions.count == 1 ? "" : "s") (\(table))"]
    }
}
