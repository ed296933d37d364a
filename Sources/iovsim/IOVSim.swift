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

/// `0x..` hex or decimal.
func parseNumber(_ text: String) -> Int? {
    text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
}
