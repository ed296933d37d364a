import ArgumentParser
import Foundation
import IOVSimKit
import PCIe

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
