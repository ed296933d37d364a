import PCIe

/// What the NIC needs to know of the PCIe functions it sits behind (its config space, which
/// the endpoint holds): how many VFs are enabled, routing IDs, whether a function may master
/// the bus, the link settings of Device Control, MSI-X control, and where to log a failed
/// request. The endpoint answers for a real device; tests may answer for a bare NIC.
public protocol DeviceFunctions: AnyObject {
    /// VFs enabled on PF `port` (NumVFs with VF Enable set).
    func enabledVFs(port: Int) -> Int
    /// The routing ID of a function.
    func routingID(_ function: SRIOVDevice.FunctionID) -> UInt16
    /// Command register Bus Master Enable (PCIe Base 4.0 §7.5.1.1.3): without it a function
    /// issues no requests.
    func busMasterEnabled(_ function: SRIOVDevice.FunctionID) -> Bool
    /// Max Payload Size, Max Read Request Size and the tag limit from PF 0's Device Control
    /// (VFs' fields are reserved: the PF's apply, SR-IOV 1.1 §3.5.6).
    var requestSettings: DMARequester.Settings { get }
    /// The routing IDs of the functions whose ATS Control has Enable set (ATS 1.1 §5.1.3).
    var atsEnabledRequesters: Set<UInt16> { get }
    /// MSI-X Enable and Function Mask of a function's MSI-X capability (nil: none).
    func msixControl(_ function: SRIOVDevice.FunctionID) -> (enabled: Bool, functionMask: Bool)?
    /// Changes whenever any of the answers above may have (a config write, a reset): what the
    /// engine keeps its copies of them by.
    var functionsVersion: UInt64 { get }
    /// A request the function issued completed unsuccessfully: the requester logs it in its
    /// Status register (Received Master Abort for UR, Received Target Abort for CA, §7.5.1.1.4).
    func requestFailed(_ function: SRIOVDevice.FunctionID, status: TLP.CompletionStatus)
}

/// The endpoint answers from the device as the NIC's logic sees it (`seenDevice`): a change
/// made in the clock being stepped shows from the next.
extension Endpoint: DeviceFunctions {
    public func enabledVFs(port: Int) -> Int {
        seenDevice { device in port < device.pfs.count ? device.pfs[port].vfs.count : 0 }
    }

    public func routingID(_ function: SRIOVDevice.FunctionID) -> UInt16 { seenDevice { $0.rid(of: function) } }

    public func config(of function: SRIOVDevice.FunctionID) -> ConfigSpace? { Self.config(of: function, in: device) }

    static func config(of function: SRIOVDevice.FunctionID, in device: SRIOVDevice) -> ConfigSpace? {
        switch function {
        case .pf(let p): p < device.pfs.count ? device.pfs[p].config : nil
        case .vf(let p, let i): p < device.pfs.count && i < device.pfs[p].vfs.count ? device.pfs[p].vfs[i].config : nil
        }
    }

    public func busMasterEnabled(_ function: SRIOVDevice.FunctionID) -> Bool {
        seenDevice { (Self.config(of: function, in: $0)?.read(offset: Type0Header.commandOffset, size: 2) ?? 0) & 0x4 != 0 }
    }

    public var functionsVersion: UInt64 { seenConfigVersion }

    public var requestSettings: DMARequester.Settings { seenDevice(Self.requestSettings) }

    static func requestSettings(_ device: SRIOVDevice) -> DMARequester.Settings {
        let config = device.pfs[0].config
        let mps = config.value(of: "maxPayloadSize", in: "Device Control") ?? 0
        let mrrs = config.value(of: "maxReadRequestSize", in: "Device Control") ?? 2
        let extended = config.value(of: "extendedTagFieldEnable", in: "Device Control") ?? 0
        return DMARequester.Settings(maxPayload: 128 << Int(min(mps, 5)), maxReadRequest: 128 << Int(min(mrrs, 5)), tags: extended == 1 ? 256 : 32)
    }

    public var atsEnabledRequesters: Set<UInt16> { seenDevice(Self.atsEnabledRequesters) }

    static func atsEnabledRequesters(_ device: SRIOVDevice) -> Set<UInt16> {
        var rids = Set<UInt16>()
        for (p, pf) in device.pfs.enumerated() {
            if pf.config.value(of: "enable", in: "ATS Control") == 1 { rids.insert(device.rid(of: .pf(p))) }
            // The VFs share one layout: the register is found by name once, then each VF's is
            // the one at its offset (a search by name per VF cost more than the rest of a
            // config write).
            guard let register = pf.vfs.first?.config.register(named: "ATS Control"), let enable = register.field("enable") else { continue }
            for (i, vf) in pf.vfs.enumerated() {
                let on = vf.config.register(at: register.offset)?.name == register.name ? vf.config.value(of: enable, in: register) == 1
                    : vf.config.value(of: "enable", in: "ATS Control") == 1
                if on { rids.insert(device.rid(of: .vf(pf: p, index: i))) }
            }
        }
        return rids
    }

    public func msixControl(_ function: SRIOVDevice.FunctionID) -> (enabled: Bool, functionMask: Bool)? {
        seenDevice { Self.msixControl(function, in: $0) }
    }

    static func msixControl(_ function: SRIOVDevice.FunctionID, in device: SRIOVDevice) -> (enabled: Bool, functionMask: Bool)? {
        guard let config = config(of: function, in: device), let enable = config.value(of: "msixEnable", in: "MSI-X Message Control") else { return nil }
        return (enable == 1, config.value(of: "functionMask", in: "MSI-X Message Control") == 1)
    }

    public func requestFailed(_ function: SRIOVDevice.FunctionID, status: TLP.CompletionStatus) {
        device.requestFailed(by: function, status: status)
    }
}
