import ArgumentParser
import Foundation
import IOVSimKit
import PCIe

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
