/// A function's name in model files and reports: `nic0.pf1` or `nic0.pf1.vf5`.
public struct FunctionName: Sendable, Hashable, CustomStringConvertible {
    public let device: String
    public let pf: Int
    public let vf: Int?

    public init(device: String, pf: Int, vf: Int?) {
        self.device = device
        self.pf = pf
        self.vf = vf
    }

    /// Parses and checks a name against the model: the device instance exists, the PF exists,
    /// and the VF index is below the NumVFs the platform enables.
    public init?(_ text: String, model: ModelFile) {
        let parts = text.split(separator: ".").map(String.init)
        guard parts.count == 2 || parts.count == 3, parts[1].hasPrefix("pf"), let pf = Int(parts[1].dropFirst(2)) else { return nil }
        let platform = model.effectivePlatform
        guard let instance = platform.device.first(where: { $0.name == parts[0] }), model.device.pf.indices.contains(pf) else { return nil }
        var vf: Int?
        if parts.count == 3 {
            guard parts[2].hasPrefix("vf"), let index = Int(parts[2].dropFirst(2)), let sriov = model.device.pf[pf].sriov,
                  index >= 0, index < Int(instance.vfs ?? sriov.totalVFs) else { return nil }
            vf = index
        }
        self.init(device: parts[0], pf: pf, vf: vf)
    }

    public var description: String { vf.map { "\(device).pf\(pf).vf\($0)" } ?? "\(device).pf\(pf)" }
}
