import ArgumentParser
import Foundation
import IOVSimKit
import PCIe
import Proofs
import SMT

@main
struct IOVSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iovsim",
        abstract: "Cycle-level SR-IOV controller model and isolation prover.",
        subcommands: [Run.self, Prove.self, Topology.self, Lspci.self, Layout.self]
    )
}

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

/// `0x..` hex or decimal.
func parseNumber(_ text: String) -> Int? {
    text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
}

/// `iovsim lspci MODEL`: the functions of a model's device, lspci-style, after enabling VFs.
struct Lspci: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a model's PCIe functions lspci-style, with hex dumps the real `lspci -F` reads.",
        discussion: """
            Builds the device of MODEL with its PFs on bus 03, enables N VFs on each PF through \
            config writes (ARI Capable Hierarchy set or clear first, as Linux does), and lists every \
            function. -x, -xxx and -xxxx dump 64, 256 and 4096 bytes of config space in the format \
            of `lspci -x`; save it and run `lspci -F FILE -vvv` to decode it with the real lspci.
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Option(name: .customLong("vf-enable"), help: "VFs to enable on each PF.") var vfEnable: UInt16 = 0
    @Option(help: "ARI Capable Hierarchy: on or off.") var ari: Layout.Toggle = .on
    @Option(help: "Bus number of the PFs.") var bus: String = "0x03"
    @Flag(name: .customShort("v"), help: "Decoded registers (-vv all registers, -vvv their fields).") var verbose: Int
    @Flag(name: .customShort("x"), help: "Hex dump: -x 64 bytes, -xxx 256, -xxxx 4096.") var hexLevel: Int

    func validate() throws {
        guard let b = parseNumber(bus), b <= 0xFF else { throw ValidationError("--bus '\(bus)' is not a bus number 0...0xff") }
    }

    func run() throws {
        do {
            let file = try ModelLoader.load(path: model)
            var device = try ModelDevice.device(file, bus: UInt8(parseNumber(bus)!))
            try VFEnable.enable(&device, numVFs: vfEnable, ari: ari == .on)
            let bytes = [0, 64, 64, 256, 4096][min(hexLevel, 4)]
            print(LspciView(device: device).listing(dumpBytes: bytes, verbosity: verbose), terminator: "")
        } catch let error as VFEnable.Refused {
            throw ToolFailure(message: "\(model): \(error)")
        }
    }
}

/// An error message for the user, printed once, exit status 1.
struct ToolFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// `iovsim topology MODEL`: bring the platform up and show what firmware and SR-PCIM set.
struct Topology: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enumerate a model's platform (firmware and SR-PCIM over simulated config TLPs) and show buses, windows and BARs."
    )

    @Argument(help: "Model file (TOML).") var model: String

    func run() throws {
        let file = try ModelLoader.load(path: model)
        let platform = try Platform(model: file)
        let refused = platform.bringUp()
        print(TopologyReport.render(platform.state()), terminator: "")
        print("bring-up: \(platform.configAccesses) config requests, \(platform.bringUpClocks) clocks")
        if !refused.isEmpty { print("VF Enable refused by: " + refused.map { BDF($0).description }.joined(separator: ", ")) }
    }
}

/// `iovsim prove MODEL`: isolation properties of the platform after bring-up.
struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a model's platform up in simulation, then prove its routing-ID, BAR-aperture and peer-to-peer properties with Z3.",
        discussion: """
            Firmware enumeration and SR-PCIM run as config TLPs through the simulated fabric; each \
            property is then checked on the state they left, through the same generic functions the \
            simulator routes with. Exit status: 0 all proved, 1 some property violated (with a \
            counterexample), 2 unknown (solver limit) or error.
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Flag(help: "Print JSON instead of the table.") var json = false
    @Option(help: "Write every query as SMT-LIB2 into this directory.") var smt2: String?
    @Option(help: "Solver timeout per property, in seconds.") var timeout: Double = 30

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let report: ProveReport
        do {
            report = try ProveReport.run(file: model, limits: SolverLimits(timeout: .milliseconds(Int(timeout * 1000))))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let smt2 { try report.writeSMT2(to: smt2) }
        print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// `iovsim run MODEL`: a cycle run with optional waveforms and TLP log.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model clock by clock: bring-up, then the VMs' DMA traffic; write a VCD and a TLP log.",
        discussion: """
            The VCD (IEEE 1364) opens in GTKWave and Surfer: one scope per hierarchy level (top, rc, \
            rc.rp0, sw0.dp1, nic0.pf0.vf5, ...), TLPs in flight on every link, config registers and \
            fields. The same model and seed give byte-identical files apart from $date.
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Option(help: "Clocks to run (bring-up included).") var cycles: UInt64 = 100_000
    @Option(help: "Seed (default: the model's).") var seed: UInt64?
    @Option(help: "Write a VCD here.") var vcd: String?
    @Option(parsing: .upToNextOption, help: "Signals to write (globs on dotted names, e.g. 'top.rc.*').") var signals: [String] = []
    @Option(help: "First clock written to the VCD.") var from: UInt64 = 0
    @Option(help: "Last clock written to the VCD.") var to: UInt64?
    @Option(name: .customLong("tlp-log"), help: "Write one line per TLP per hop here.") var tlpLog: String?
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard cycles > 0 else { throw ValidationError("--cycles must be positive") }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
    }

    func run() throws {
        var options = Runner.Options()
        options.cycles = cycles
        options.seed = seed
        options.vcd = vcd
        options.signals = signals
        options.from = from
        options.to = to ?? .max
        options.tlpLog = tlpLog
        options.progress = !quiet
        print(try Runner.run(file: model, options: options).render(), terminator: "")
    }
}
