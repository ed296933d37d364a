import ArgumentParser
import Foundation
import IOVSimKit
import PCIe

/// `iovsim topology MODEL`: bring the platform up and show what firmware and SR-PCIM set.
struct Topology: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enumerate a model's platform (firmware and SR-PCIM over simulated config TLPs) and show buses, windows and BARs.",
        discussion: """
            Below each port: every function, its routing ID, owner and memory ranges. Long runs of \
            host-owned VFs are folded (--all shows them); a function a VM owns is never folded. A \
            function on a bus outside its port's bus range is marked UNREACHABLE. Shortfalls of \
            bring-up (a PF that refused VF Enable, a device that did not enumerate) are listed at \
            the end. \(ToolStatus.summary)
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Flag(help: "List every function; do not fold runs of host-owned VFs.") var all = false

    func run() throws {
        try withExitStatus {
            let file = try ModelLoader.load(path: model)
            let platform = try Platform(model: file)
            platform.bringUp()
            print(TopologyReport.render(platform.state(), summarizeVFsAbove: all ? .max : 8), terminator: "")
            print("bring-up: \(platform.configAccesses) config requests, \(platform.bringUpClocks) clocks")
            for shortfall in platform.shortfalls() { print("bring-up shortfall: \(shortfall)") }
        }
    }
}
