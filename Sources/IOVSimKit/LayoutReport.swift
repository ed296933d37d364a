import Foundation
import PCIe
import Proofs
import SMT

/// The text report of one SR-IOV layout: where each VF lands (bus:dev.fn as lspci prints it,
/// and the ARI function number) and what the routing-ID proofs found.
public struct LayoutReport {
    public let placement: RoutingIDProof.Placement
    public let findings: [RoutingIDProof.Finding]

    public init(placement: RoutingIDProof.Placement, limits: SolverLimits = SolverLimits()) throws {
        self.placement = placement
        self.findings = try RoutingIDProof.check(placement, limits: limits)
    }

    /// True when every property was proved.
    public var allProved: Bool { findings.allSatisfy { $0.outcome.result == .proved } }
    /// True when some property was violated.
    public var anyViolated: Bool { findings.contains { $0.outcome.result.counterexample != nil } }

    /// The process exit status convention of `iovsim prove`: 0 proved, 1 violated, 2 unknown.
    public var exitCode: Int32 { allProved ? 0 : anyViolated ? 1 : 2 }

    public func render(columns: Int = 8) -> String {
        let layout = placement.layout
        var out = "\(layout)\n"
        out += "upstream port bus range [\(hex2(placement.secondaryBus)), \(hex2(placement.subordinateBus))], "
        out += "last bus needed " + (layout.lastBus > 255 ? "0x\(String(layout.lastBus, radix: 16)) (past bus ff: impossible)" : hex2(UInt8(layout.lastBus))) + "\n"
        let rids = layout.vfRIDs
        for start in stride(from: 0, to: rids.count, by: columns) {
            let row = rids[start..<min(start + columns, rids.count)].enumerated().map { offset, rid in
                let vf = start + offset
                // Past 0xFFFF the 16-bit RID wraps; show the bus the VF would need instead.
                let unwrapped = layout.unwrappedVFRID(vf)
                guard unwrapped <= 0xFFFF else { return pad("VF\(vf) bus 0x\(String(unwrapped >> 8, radix: 16))!", 22) }
                let bdf = BDF(rid, ari: layout.ari)
                let name = layout.ari ? "\(bdf) (fn \(bdf.ariFunction))" : bdf.description
                return pad("VF\(vf) \(name)", 22)
            }
            out += "  " + row.joined() .trimmingCharacters(in: .whitespaces) + "\n"
        }
        out += "property                                  result     time\n"
        for finding in findings {
            let ms = String(format: "%.1f ms", finding.outcome.seconds * 1000)
            out += pad(finding.property, 42) + pad(finding.outcome.result.label, 11) + ms + "\n"
            if let witness = finding.witness { out += "  counterexample: \(witness)\n" }
            if case .unknown(let reason) = finding.outcome.result { out += "  unknown: \(reason)\n" }
        }
        return out
    }
}

func hex2(_ value: UInt8) -> String {
    let s = String(value, radix: 16)
    return s.count == 1 ? "0" + s : s
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
