import Host
import NIC
import PCIe
import Proofs
import RTL

/// A PF's registers as its driver reaches them: dword loads and stores at its BAR0, each a
/// memory TLP from the CPU through the root complex.
public struct MMIOAccess: RegisterAccess {
    public let cpu: ConfigAccess
    public let bar0: UInt64
    public let map: RegisterMap

    public init(cpu: ConfigAccess, bar0: UInt64, map: RegisterMap) {
        self.cpu = cpu
        self.bar0 = bar0
        self.map = map
    }

    /// A load; all ones when no completion comes back (as a CPU reads a master abort).
    public mutating func read(offset: Int) -> UInt32 { cpu.memoryRead(bar0 + UInt64(offset)) ?? 0xFFFF_FFFF }
    public mutating func write(offset: Int, value: UInt32) { cpu.memoryWrite(bar0 + UInt64(offset), value) }
}

extension Platform {
    /// PF `pf` of `device`'s BAR0 and its port's register map.
    func pfRegisters(device: String, pf p: Int) -> (bar0: UInt64, map: RegisterMap)? {
        guard let nic = nics[device], let endpoint = endpoints[device], p < endpoint.device.pfs.count,
              let bar = endpoint.device.pfs[p].definition.header.bars.first(where: { $0.index == 0 }) else { return nil }
        return (bar.base(in: endpoint.device.pfs[p].config, at: Type0Header.barOffset), nic.registers.ports[p].map)
    }

    /// PF `pf` of `device`'s driver view of its registers: MMIO at its BAR0, each access a TLP
    /// the CPU waits for (for tests and tools that drive a PF between clocks).
    public func pfDriver(device: String, pf p: Int) -> PFDriver<MMIOAccess>? {
        pfRegisters(device: device, pf: p).map { PFDriver(MMIOAccess(cpu: ConfigAccess(simulator: simulator, rootComplex: rootComplex), bar0: $0.bar0, map: $0.map)) }
    }

    /// The same registers for a program on the host CPU (`HostCPU`).
    public func pfProgramDriver(device: String, pf p: Int) -> PFDriver<ProgramRegisters>? {
        pfRegisters(device: device, pf: p).map { PFDriver(ProgramRegisters(cpu: cpu, bar0: $0.bar0, map: $0.map)) }
    }

    /// Runs `body` as program `name` on the host CPU and the clock until it finishes (at most
    /// `limit` clocks); false when it did not finish in time.
    @discardableResult
    public func execute(_ name: String, limit: UInt64 = 10_000_000, _ body: @escaping () async -> Void) -> Bool {
        let index = cpu.programs.count
        cpu.start(name, body)
        runUntil(limit: limit) { self.cpu.programs[index].finished }
        return cpu.programs[index].finished
    }

    /// Runs the clock, skipping idle stretches, until `done` holds or `limit` clocks passed.
    func runUntil(limit: UInt64, _ done: () -> Bool) {
        let end = simulator.now + limit
        while !done(), simulator.now < end {
            let next = max(simulator.nextEventClock ?? end, simulator.now)
            simulator.run(clocks: min(next, end - 1) - simulator.now + 1)
        }
    }
}

extension Platform {
    /// VF `vf` of PF `pf` of `device`'s driver view of its registers: MMIO at its VF BAR0, at
    /// the VF-view offsets (`VFRegisterWindow`).
    public func vfAccess(device: String, pf p: Int, vf: Int) -> MMIOAccess? {
        guard let nic = nics[device], let endpoint = endpoints[device], p < endpoint.device.pfs.count,
              let aperture = endpoint.device.pfs[p].vfAperture(vf: vf, bar: 0) else { return nil }
        return MMIOAccess(cpu: ConfigAccess(simulator: simulator, rootComplex: rootComplex), bar0: aperture.base, map: nic.registers.ports[p].map)
    }

    /// The routing ID of a function of `device` (nil: no such function).
    public func rid(device: String, pf p: Int, vf: Int?) -> UInt16? {
        guard let endpoint = endpoints[device], p < endpoint.device.pfs.count else { return nil }
        guard let vf else { return endpoint.device.rid(ofPF: p) }
        return vf < endpoint.device.pfs[p].vfs.count ? endpoint.device.pfs[p].vfs[vf].rid : nil
    }
}

extension Platform {
    /// The MAC the PF driver gives PF `pf` of instance `device`: from the Device Serial
    /// Number when it is an EUI-64 made from a MAC (FF-FE in its middle, as Intel's parts
    /// carry it), plus the port number; else locally administered 02:00:00:DD:PP:FF.
    public func macAddress(device: String, pf: Int) -> UInt64 {
        let d = UInt64(model.effectivePlatform.device.firstIndex { $0.name == device } ?? 0)
        if let serial = model.device.pf[pf].dsn?.serialNumber, serial >> 24 & 0xFFFF == 0xFFFE {
            return ((serial >> 40) << 24 | serial & 0xFF_FFFF) &+ UInt64(pf) & 0xFFFF_FFFF_FFFF
        }
        return 0x02_00_00_00_00_FF | (d & 0xFF) << 16 | UInt64(pf & 0xFF) << 8
    }

    /// The MAC of VF `vf` of PF `pf` (Linux leaves VFs' MACs to the administrator, `ip link set
    /// PF vf N mac ...`; IOVSim's are locally administered): 02:00:DD:PP:00:VV.
    /// A VM's `mac` entry for the VF takes precedence.
    public func macAddress(device: String, pf: Int, vf: Int) -> UInt64 {
        let name = "\(device).pf\(pf).vf\(vf)"
        for vm in model.vm ?? [] {
            if let set = vm.mac?.first(where: { $0.function == name }), let mac = MACWords.parse(set.address) { return mac }
        }
        let d = UInt64(model.effectivePlatform.device.firstIndex { $0.name == device } ?? 0)
        return 0x02_00_00_00_00_00 | (d & 0xFF) << 24 | UInt64(pf & 0xFF) << 16 | UInt64(vf & 0xFF)
    }

    /// The pool a function sends and receives in: VF n is pool n, the PF the pool after its
    /// VFs (Linux igb and ixgbe); nil for a VF the part has no pool for.
    public func pool(device: String, pf: Int, vf: Int?) -> Int? {
        guard let nic = nics[device], let endpoint = endpoints[device], pf < endpoint.device.pfs.count else { return nil }
        let pools = nic.registers.ports[pf].map.pools
        let vfs = min(endpoint.device.pfs[pf].vfEnable ? endpoint.device.pfs[pf].numVFs : 0, UInt16(pools - 1))
        guard let vf else { return Int(vfs) }
        return vf < Int(vfs) ? vf : nil
    }

    /// The PF drivers' set-up of each NIC after bring-up, by MMIO: VMDq with a pool per enabled
    /// VF, MACs in the receive address table, anti-spoofing and VM-to-VM loopback on.
    func setUpNICs() {
        for name in nics.keys.sorted() {
            let nic = nics[name]!, endpoint = endpoints[name]!
            for (p, pf) in endpoint.device.pfs.enumerated() {
                let map = nic.registers.ports[p].map
                guard var driver = pfProgramDriver(device: name, pf: p) else { continue }
                let enabled = pf.vfEnable ? Int(pf.numVFs) : 0
                let vfs = pool(device: name, pf: p, vf: nil) ?? 0   // the PF's pool: the VFs that have one
                if enabled > vfs {
                    nicNotes.append("\(name).pf\(p): \(enabled) VFs enabled, the \(map.family) has \(map.pools) pools: \(enabled - vfs > 1 ? "VFs \(vfs)-\(enabled - 1) get" : "VF \(vfs) gets") no pool, the PF keeps pool \(vfs) (Linux \(map.family == "82576" ? "igb" : "ixgbe") allows \(map.pools - 1) VFs)")
                }
                let pfMAC = macAddress(device: name, pf: p), vfMACs = (0..<vfs).map { macAddress(device: name, pf: p, vf: $0) }
                let spoofCheck = model.device.nic?.spoofCheck ?? true
                let before = cpu.loads + cpu.stores
                let done = execute("\(name).pf\(p) driver: set-up") {
                    await driver.enableVMDq(pfMAC: pfMAC, vfMACs: vfMACs, spoofCheck: spoofCheck)
                    _ = await driver.read("STATUS")   // flushes the posted writes
                }
                if !done { nicNotes.append("\(name).pf\(p): the PF driver's set-up did not finish") }
                configAccesses += Int(cpu.loads + cpu.stores - before)
                // With a host, each VF's driver makes it a bus master at probe (igbvf/ixgbevf
                // pci_set_master); without one, no driver runs and the set-up does it for them.
                guard host == nil else { continue }
                let config = ConfigAccess(simulator: simulator, rootComplex: rootComplex)
                for vf in pf.vfs.prefix(vfs) {
                    let command = config.read(vf.rid, Type0Header.commandOffset, size: 2) ?? 0
                    config.write(vf.rid, Type0Header.commandOffset, size: 2, command | 0x4)
                }
                configAccesses += config.accesses
            }
        }
    }
}

extension Platform {
    /// The NICs' filters and transmit settings now, and whose each pool in use is: for the L2,
    /// anti-spoofing and register-window proofs.
    func nicState() -> NICState? {
        guard !nics.isEmpty else { return nil }
        let owner = owners()
        var ports: [NICState.Port] = []
        for name in nics.keys.sorted() {
            let nic = nics[name]!, endpoint = endpoints[name]!
            for p in endpoint.device.pfs.indices where p < nic.registers.ports.count {
                let (filters, transmit) = nic.registers.filters(port: p)
                var pools: [NICState.Pool] = []
                let vfs = pool(device: name, pf: p, vf: nil) ?? 0
                for vf in 0..<vfs {
                    let function = "\(name).pf\(p).vf\(vf)"
                    pools.append(NICState.Pool(index: vf, function: function, vm: owner[function], vf: vf))
                }
                pools.append(NICState.Pool(index: vfs, function: "\(name).pf\(p)", vm: owner["\(name).pf\(p)"], vf: nil))
                ports.append(NICState.Port(name: "\(name).port\(p)", map: nic.registers.ports[p].map, filters: filters, transmit: transmit, pools: pools))
            }
        }
        return NICState(ports: ports)
    }
}
