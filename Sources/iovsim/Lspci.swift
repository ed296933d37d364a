import ArgumentParser
import Foundation
import IOVSimKit
import PCIe

/// `iovsim lspci MODEL`: the functions of a model's device, lspci-style, after enabling VFs.
struct Lspci: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a model's PCIe functions lspci-style, with hex dumps the real `lspci -F` reads.",
        discussion: """
            Without --vf-enable and --ari: brings the model's platform up (firmware enumeration and \
            SR-PCIM through simulated config TLPs, ARI derived from the ports as Linux does) and \
            lists every function, root and switch ports included, where enumeration put it. With \
            either: the device alone with its PFs on --bus, N VFs enabled on each PF through config \
            writes, ARI Capable Hierarchy set or clear as told. -x, -xxx and -xxxx dump 64, 256 and \
            4096 bytes of config space in the format of `lspci -x`; save it and run \
            `lspci -F FILE -vvv` (or -tv) to decode it with the real lspci. Impossible layouts (two \
            functions at one bus:dev.fn, VFs whose routing IDs wrapped past bus ff) are marked. \
            \(ToolStatus.summary)
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Option(name: .customLong("vf-enable"), help: "Device alone: VFs to enable on each PF.") var vfEnable: UInt16?
    @Option(help: "Device alone: ARI Capable Hierarchy on or off (default on).") var ari: Layout.Toggle?
    @Option(help: "Device alone: bus number of the PFs.") var bus: String = "0x03"
    @Flag(name: .customShort("v"), help: "Decoded registers (-vv all registers, -vvv their fields).") var verbose: Int
    @Flag(name: .customShort("x"), help: "Hex dump: -x 64 bytes, -xxx 256, -xxxx 4096.") var hexLevel: Int

    func validate() throws {
        guard parseNumber(bus, in: 0...0xFF) != nil else { throw numberError("--bus", bus, 0...0xFF) }
    }

    func run() throws {
        try withExitStatus {
            let file = try ModelLoader.load(path: model)
            let bytes = [0, 64, 64, 256, 4096][min(hexLevel, 4)]
            let view: LspciView
            if vfEnable == nil && ari == nil {
                let platform = try Platform(model: file)
                platform.bringUp()
                view = LspciView(platform: platform)
            } else {
                var device = try ModelDevice.device(file, bus: UInt8(parseNumber(bus)!))
                do {
                    try VFEnable.enable(&device, numVFs: vfEnable ?? 0, ari: (ari ?? .on) == .on)
                } catch let error as VFEnable.Refused {
                    throw UsageError("--vf-enable \(vfEnable ?? 0): \(model): \(error)")
                }
                view = LspciView(device: device)
            }
            print(view.listing(dumpBytes: bytes, verbosity: verbose), terminator: "")
        }
    }
}
