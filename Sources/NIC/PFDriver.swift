/// What a PF driver writes to set up the L2 switch, by register and field name: names, offsets
/// and masks come from the family's `RegisterMap`, the values and their order are what Linux
/// igb (82576) and ixgbe (82599) write. Read-modify-write goes through `read`, as the drivers'
/// `rd32`/`wr32` pairs do, so over MMIO each is a read TLP and a write TLP.
public struct PFDriver<Access: RegisterAccess> {
    public var access: Access
    public var map: RegisterMap { access.map }
    var is82576: Bool { map.family == "82576" }

    public init(_ access: Access) { self.access = access }

    func offset(_ name: String) -> Int {
        guard let register = map.register(named: name) else { preconditionFailure("\(map.family) has no register \(name)") }
        return register.offset
    }

    public mutating func write(_ name: String, _ value: UInt32) { access.write(offset: offset(name), value: value) }
    public mutating func read(_ name: String) async -> UInt32 { await access.read(offset: offset(name)) }

    /// Sets a field, keeping the rest of the register (read-modify-write).
    public mutating func set(_ name: String, _ field: String, _ value: UInt32) async {
        guard let f = map.register(named: name)?.field(field) else { preconditionFailure("\(map.family) \(name) has no field \(field)") }
        write(name, f.setting(value, in: await read(name)))
    }

    /// A pool bitmap written to one register (82576) or a low/high pair (82599).
    mutating func poolMap(_ name: String, _ pools: UInt64) {
        if is82576 {
            write(name, UInt32(pools & 0xFF))
        } else {
            write("\(name)[0]", UInt32(truncatingIfNeeded: pools))
            write("\(name)[1]", UInt32(truncatingIfNeeded: pools >> 32))
        }
    }

    /// Receive address `entry` = `mac` (first octet in bits 47:40), selecting `pools`
    /// (igb_rar_set_qsel: RAH.POOLSEL; ixgbe_set_rar + ixgbe_set_vmdq: MPSAR).
    public mutating func receiveAddress(_ entry: Int, mac: UInt64, pools: UInt64) {
        let words = MACWords.encode(mac)
        write("RAL[\(entry)]", words.low)
        if is82576 {
            write("RAH[\(entry)]", words.high | UInt32(pools & 0xFF) << 18 | 1 << 31)
        } else {
            write("MPSAR_LO[\(entry)]", UInt32(truncatingIfNeeded: pools))
            write("MPSAR_HI[\(entry)]", UInt32(truncatingIfNeeded: pools >> 32))
            write("RAH[\(entry)]", words.high | 1 << 31)
        }
    }

    /// VLAN filter `entry` for `vlan`, selecting `pools` (VLVF.POOLSEL; VLVF + VLVFB).
    public mutating func vlanFilter(_ entry: Int, vlan: UInt32, pools: UInt64) {
        if is82576 {
            write("VLVF[\(entry)]", vlan | UInt32(pools & 0xFF) << 12 | 1 << 31)
        } else {
            write("VLVFB[\(2 * entry)]", UInt32(truncatingIfNeeded: pools))
            write("VLVFB[\(2 * entry + 1)]", UInt32(truncatingIfNeeded: pools >> 32))
            write("VLVF[\(entry)]", vlan | 1 << 31)
        }
    }

    public mutating func vlanFiltering(_ on: Bool) async { await set(is82576 ? "RCTL" : "VLNCTRL", "VFE", on ? 1 : 0) }
    /// A VMOLR option by its 82576 name (MPME is the 82599's MPE).
    public mutating func poolOption(_ pool: Int, _ option: String, _ on: Bool = true) async {
        await set("VMOLR[\(pool)]", !is82576 && option == "MPME" ? "MPE" : option, on ? 1 : 0)
    }
    public mutating func receiveEnable(_ pools: UInt64) { poolMap("VFRE", pools) }
    /// Turns pool `pool`'s receive and transmit back on, keeping the others (igb_vf_reset_msg,
    /// ixgbe_vf_reset_msg: a VF's reset cleared its VFRE and VFTE bits).
    public mutating func enablePool(_ pool: Int) async {
        for name in ["VFRE", "VFTE"] {
            let register = is82576 ? name : "\(name)[\(pool / 32)]"
            write(register, await read(register) | 1 << UInt32(pool % 32))
        }
    }
    public mutating func transmitEnable(_ pools: UInt64) { poolMap("VFTE", pools) }
    public mutating func defaultPool(_ pool: Int) async { await set("VT_CTL", "DEF_PL", UInt32(pool)) }
    public mutating func disableDefaultPool(_ on: Bool) async { await set("VT_CTL", "DIS_DEF_POOL", on ? 1 : 0) }

    /// One bit of the 4096-bit multicast table (and, on the 82599, the table switched on).
    public mutating func multicastHash(_ bit: Int) async {
        write("MTA[\(bit >> 5)]", await read("MTA[\(bit >> 5)]") | 1 << UInt32(bit & 31))
        if !is82576 { await set("MCSTCTRL", "MFE", 1) }
    }

    /// MAC and VLAN anti-spoofing for `pools` (igb_vmdq_set_anti_spoofing_pf: DTXSWC;
    /// ixgbe_set_vf_spoofchk: PFVFSPOOF, 8 pools per register).
    public mutating func antiSpoofing(mac: UInt64, vlan: UInt64) async {
        if is82576 {
            await set("DTXSWC", "MAC_SPOOF", UInt32(mac & 0xFF))
            await set("DTXSWC", "VLAN_SPOOF", UInt32(vlan & 0xFF))
        } else {
            for r in 0..<8 {
                await set("PFVFSPOOF[\(r)]", "MACAS", UInt32(mac >> UInt64(8 * r) & 0xFF))
                await set("PFVFSPOOF[\(r)]", "VLANAS", UInt32(vlan >> UInt64(8 * r) & 0xFF))
            }
        }
    }

    /// VM-to-VM switching (igb_vmdq_set_loopback_pf: DTXSWC.VMDQ_LOOPBACK_EN; ixgbe:
    /// PFDTXGSWC.VT_LBEN).
    public mutating func loopback(_ on: Bool) async {
        if is82576 { await set("DTXSWC", "VMDQ_LOOPBACK_EN", on ? 1 : 0) } else { await set("PFDTXGSWC", "VT_LBEN", on ? 1 : 0) }
    }

    /// The largest frame the port accepts: RCTL.LPE + RLPML (82576), HLREG0.JUMBOEN +
    /// MAXFRS.MFS (82599).
    public mutating func maxFrame(_ bytes: Int) async {
        if is82576 {
            await set("RLPML", "RLPML", UInt32(bytes))
            await set("RCTL", "LPE", bytes > 1522 ? 1 : 0)
        } else {
            await set("MAXFRS", "MFS", UInt32(bytes))
            await set("HLREG0", "JUMBOEN", bytes > 1522 ? 1 : 0)
        }
    }

    /// What the PF driver writes when SR-IOV is on with `vfs` VFs (igb_probe_vfs, igb_vmm_control,
    /// igb_setup_mrqc, igb_vf_reset_msg; ixgbe_configure_virtualization, ixgbe_vf_reset_msg):
    /// the PF is the pool after its VFs and the default pool; each VF's MAC in a receive address
    /// of its pool (igb counts VF entries down from the top); the pools accept untagged,
    /// broadcast and hashed multicast; Rx and Tx enabled for the VFs and the PF; VM-to-VM
    /// loopback on; MAC and VLAN anti-spoofing on for every VF when `spoofCheck` (Linux's
    /// default).
    /// The receive address entry that holds VF `vf`'s MAC: counted from the top on the 82576
    /// (igb: rar_entry_count - (vf + 1)), entry vf + 1 on the 82599 (ixgbe, after the PF's).
    public func vfAddressEntry(_ vf: Int) -> Int { is82576 ? map.receiveAddresses - (vf + 1) : vf + 1 }

    public mutating func enableVMDq(pfMAC: UInt64, vfMACs: [UInt64], spoofCheck: Bool = true) async {
        let vfs = vfMACs.count, pf = vfs
        precondition(pf < map.pools, "\(map.family): \(vfs) VFs leave no pool for the PF")
        let all: UInt64 = pf == 63 ? ~0 : (1 << UInt64(pf + 1)) - 1
        if is82576 {
            write("MRQC", 0x3)                                        // VMDq
            await set("RCTL", "BAM", 1)
            await set("RCTL", "EN", 1)
        } else {
            write("MRQC", 0x8)                                        // VMDq, 64 pools
            await set("FCTRL", "BAM", 1)
            await set("VT_CTL", "VT_ENA", 1)
            await set("VT_CTL", "REPLEN", 1)
        }
        await defaultPool(pf)
        receiveAddress(0, mac: pfMAC, pools: 1 << UInt64(pf))
        for (vf, mac) in vfMACs.enumerated() {
            receiveAddress(vfAddressEntry(vf), mac: mac, pools: 1 << UInt64(vf))
        }
        for pool in 0...pf { for option in ["AUPE", "BAM", "ROMPE"] { await poolOption(pool, option) } }
        receiveEnable(all)
        transmitEnable(all)
        await loopback(true)
        let vfPools: UInt64 = vfs == 0 || !spoofCheck ? 0 : (1 << UInt64(vfs)) - 1
        await antiSpoofing(mac: vfPools, vlan: vfPools)
        await set("CTRL_EXT", "PFRSTD", 1)                                  // tells the VFs' mailboxes the PF is up
    }
}
