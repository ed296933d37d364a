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
            Exit status: 0 all proved, 1 a property violated, 2 unknown.
            """
    )

    @Option(help: "PF bus:dev.fn (hex bus and device).") var pf: String = "03:00.0"
    @Option(help: "First VF Offset (0x.. or decimal).") var offset: String
    @Option(help: "VF Stride.") var stride: String
    @Option(name: .customLong("vfs"), help: "NumVFs.") var numVFs: String
    @Option(help: "ARI Capable Hierarchy: on or off.") var ari: Toggle = .on
    @Option(help: "Upstream port secondary bus (default: the PF's bus).") var secondary: String?
    @Option(help: "Upstream port subordinate bus (default: the last bus the layout needs).") var subordinate: String?
    @Option(help: "Solver timeout in seconds.") var timeout: Double = 10

    enum Toggle: String, ExpressibleByArgument { case on, off }

    func validate() throws {
        guard BDF(parsing: pf) != nil else { throw ValidationError("--pf '\(pf)' is not bus:dev.fn (e.g. 03:00.0)") }
        for (name, text, limit) in [("--offset", offset, 0xFFFF), ("--stride", stride, 0xFFFF), ("--vfs", numVFs, 0xFFFF),
                                    ("--secondary", secondary ?? "0", 0xFF), ("--subordinate", subordinate ?? "0", 0xFF)] {
            guard let value = parseNumber(text), value <= limit else {
                throw ValidationError("\(name) '\(text)' is not a number in 0...\(limit)")
            }
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let pfBDF = BDF(parsing: pf)!
        let layout = SRIOVLayout(
            pfRID: pfBDF.rid, firstVFOffset: UInt16(parseNumber(offset)!), vfStride: UInt16(parseNumber(stride)!),
            numVFs: UInt16(parseNumber(numVFs)!), ari: ari == .on)
        let secondaryBus = secondary.flatMap(parseNumber).map(UInt8.init) ?? pfBDF.bus
        let subordinateBus = subordinate.flatMap(parseNumber).map(UInt8.init) ?? UInt8(min(layout.lastBus, 255))
        let placement = RoutingIDProof.Placement(layout: layout, secondaryBus: secondaryBus, subordinateBus: subordinateBus)
        let report = try LayoutReport(placement: placement, limits: SolverLimits(timeout: .milliseconds(Int(timeout * 1000))))
        print(report.render(), terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
