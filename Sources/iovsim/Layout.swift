import ArgumentParser
import IOVSimKit
import PCIe
import Proofs
import SMT

/// `iovsim layout`: place the VFs of one PF and prove the routing-ID properties.
struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Place the VFs of an SR-IOV PF and prove their routing IDs distinct and in range.",
        discussion: """
            Computes every VF's routing ID as RID(PF) + First VF Offset + i * VF Stride (SR-IOV 1.1 \
            §3.3.10-11), prints it as bus:dev.fn, and checks with Z3, through the same function, \
            that no two functions share a RID and every VF sits in the upstream port's bus range. \
            \(ToolStatus.summary)
            """
    )

    @Option(help: "PF bus:dev.fn (hex bus and device).") var pf: String = "03:00.0"
    @Option(help: "First VF Offset (0x.. or decimal).") var offset: String
    @Option(help: "VF Stride.") var stride: String
    @Option(name: .customLong("vfs"), help: "NumVFs.") var numVFs: String
    @Option(help: "ARI Capable Hierarchy: on or off.") var ari: Toggle = .on
    @Option(help: "Upstream port secondary bus (default: the PF's bus).") var secondary: String?
    @Option(help: "Upstream port subordinate bus (default: the last bus the layout needs).") var subordinate: String?
    @Option(help: "Solver timeout in seconds (0 < S <= 604800).") var timeout: Double = 10

    enum Toggle: String, ExpressibleByArgument { case on, off }

    func validate() throws {
        guard BDF(parsing: pf) != nil else { throw ValidationError("--pf '\(pf)' is not bus:dev.fn (e.g. 03:00.0)") }
        for (name, text, limit) in [("--offset", offset, 0xFFFF), ("--stride", stride, 0xFFFF), ("--vfs", numVFs, 0xFFFF),
                                    ("--secondary", secondary ?? "0", 0xFF), ("--subordinate", subordinate ?? "0", 0xFF)] {
            guard parseNumber(text, in: 0...limit) != nil else { throw numberError(name, text, 0...limit) }
        }
        if let secondary, let subordinate, parseNumber(secondary)! > parseNumber(subordinate)! {
            throw ValidationError("--secondary \(secondary) is above --subordinate \(subordinate): a port decodes buses secondary...subordinate")
        }
        _ = try solverLimits(timeout: timeout)
    }

    func run() throws {
        try withExitStatus {
            let pfBDF = BDF(parsing: pf)!
            let layout = SRIOVLayout(
                pfRID: pfBDF.rid, firstVFOffset: UInt16(parseNumber(offset)!), vfStride: UInt16(parseNumber(stride)!),
                numVFs: UInt16(parseNumber(numVFs)!), ari: ari == .on)
            let secondaryBus = secondary.flatMap { parseNumber($0) }.map(UInt8.init) ?? pfBDF.bus
            let subordinateBus = subordinate.flatMap { parseNumber($0) }.map(UInt8.init) ?? UInt8(min(layout.lastBus, 255))
            guard secondaryBus <= subordinateBus else {
                throw UsageError("the upstream port's secondary bus \(secondaryBus) (--secondary, default the PF's bus) is above its subordinate bus \(subordinateBus) (--subordinate)")
            }
            let placement = RoutingIDProof.Placement(layout: layout, secondaryBus: secondaryBus, subordinateBus: subordinateBus)
            let report = try LayoutReport(placement: placement, limits: solverLimits(timeout: timeout))
            print(report.render(), terminator: "")
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        }
    }
}
