import RTL

/// The register state of a port read as the tables the L2 sorter and the transmit switch
/// decide with: what the hardware's filter logic sees of what drivers wrote. Register and field
/// names are looked up in the family's `RegisterMap`.
extension RegisterFile {
    /// A receive address as the sorter's word: RAL holds octets 0-3 (octet 0 in bits 7:0),
    /// RAH bits 15:0 octets 4-5 (82576 §8.10.13, 82599 §8.2.3.7.9).
    func macAddress(_ i: Int) -> UInt64 {
        MACWords.decode(low: peek("RAL[\(i)]"), high: peek("RAH[\(i)]", field: "RAH"))
    }

    func table(_ name: String) -> [Bits<Concrete, 32>] { (0..<128).map { Bits(UInt64(peek("\(name)[\($0)]"))) } }

    /// One bit per pool from a per-pool register's field.
    func poolBits(_ name: String, field: String) -> UInt64 {
        (0..<map.pools).reduce(0) { $0 | UInt64(peek("\(name)[\($1)]", field: field) & 1) << UInt64($1) }
    }

    /// Two 32-bit registers as a 64-bit pool map (low first).
    func pair(_ low: String, _ high: String) -> UInt64 { UInt64(peek(low)) | UInt64(peek(high)) << 32 }

    /// The receive filters (FilterTables) as the registers set them.
    public var filterTables: FilterTables<Concrete> {
        var t = FilterTables<Concrete>(pools: map.pools)
        t.multicastTable = table("MTA")
        t.unicastTable = table("UTA")
        t.acceptUntagged = Bits(poolBits("VMOLR", field: "AUPE"))
        t.acceptHashedMulticast = Bits(poolBits("VMOLR", field: "ROMPE"))
        t.acceptHashedUnicast = Bits(poolBits("VMOLR", field: "ROPE"))
        t.acceptBroadcast = Bits(poolBits("VMOLR", field: "BAM"))
        t.defaultPool = Bits(UInt64(peek("VT_CTL", field: "DEF_PL")))
        t.disableDefaultPool = Bit(peek("VT_CTL", field: "DIS_DEF_POOL") != 0)
        switch map.family {
        case "82576":
            let rars = map.receiveAddresses
            t.receiveAddresses = (0..<rars).map { i in
                .init(address: Bits(macAddress(i)), valid: Bit(peek("RAH[\(i)]", field: "AV") != 0),
                      pools: Bits(UInt64(peek("RAH[\(i)]", field: "POOLSEL"))))
            }
            t.multicastOffset = Bits(UInt64(peek("RCTL", field: "MO")))
            t.vlanFilterEnable = Bit(peek("RCTL", field: "VFE") != 0)
            t.vlanFilters = (0..<32).map { i in
                .init(vlanID: Bits(UInt64(peek("VLVF[\(i)]", field: "VLAN_ID"))), valid: Bit(peek("VLVF[\(i)]", field: "VIEN") != 0),
                      pools: Bits(UInt64(peek("VLVF[\(i)]", field: "POOLSEL"))))
            }
            t.multicastPromiscuous = Bits(poolBits("VMOLR", field: "MPME"))
            t.poolLongPacketEnable = Bits(poolBits("VMOLR", field: "LPE"))
            t.poolMaxLength = (0..<map.pools).map { Bits(UInt64(peek("VMOLR[\($0)]", field: "RLPML"))) }
            t.receiveEnable = Bits(UInt64(peek("VFRE")))
            t.longPacketEnable = Bit(peek("RCTL", field: "LPE") != 0)
            t.maxLength = Bits(UInt64(peek("RLPML", field: "RLPML")))
        default:  // 82599
            t.receiveAddresses = (0..<128).map { i in
                .init(address: Bits(macAddress(i)), valid: Bit(peek("RAH[\(i)]", field: "AV") != 0),
                      pools: Bits(pair("MPSAR_LO[\(i)]", "MPSAR_HI[\(i)]")))
            }
            // MFE off: no multicast frame hits the table.
            if peek("MCSTCTRL", field: "MFE") == 0 { t.multicastTable = Array(repeating: .zero, count: 128) }
            t.multicastOffset = Bits(UInt64(peek("MCSTCTRL", field: "MO")))
            t.vlanFilterEnable = Bit(peek("VLNCTRL", field: "VFE") != 0)
            t.vlanFilters = (0..<64).map { i in
                .init(vlanID: Bits(UInt64(peek("VLVF[\(i)]", field: "VLAN_ID"))), valid: Bit(peek("VLVF[\(i)]", field: "VI_EN") != 0),
                      pools: Bits(pair("VLVFB[\(2 * i)]", "VLVFB[\(2 * i + 1)]")))
            }
            t.multicastPromiscuous = Bits(poolBits("VMOLR", field: "MPE"))
            // The 82599 has one frame size limit for the port (HLREG0.JUMBOEN, MAXFRS.MFS).
            let jumbo = peek("HLREG0", field: "JUMBOEN") != 0, mfs = UInt64(min(peek("MAXFRS", field: "MFS"), 0x3FFF))
            t.poolLongPacketEnable = jumbo ? Bits(~0) : .zero
            t.poolMaxLength = Array(repeating: Bits(mfs), count: map.pools)
            t.receiveEnable = Bits(pair("VFRE[0]", "VFRE[1]"))
            t.longPacketEnable = Bit(jumbo)
            t.maxLength = Bits(mfs)
        }
        return t
    }

    /// The transmit switch's settings as the registers set them.
    public var transmitSettings: TransmitSwitch.Settings<Concrete> {
        let vmvir = (0..<map.pools).map { Bits<Concrete, 32>(UInt64(peek("VMVIR[\($0)]"))) }
        switch map.family {
        case "82576":
            return .init(transmitEnable: Bits(UInt64(peek("VFTE"))), macAntiSpoof: Bits(UInt64(peek("DTXSWC", field: "MAC_SPOOF"))),
                         vlanAntiSpoof: Bits(UInt64(peek("DTXSWC", field: "VLAN_SPOOF"))),
                         loopbackEnable: Bit(peek("DTXSWC", field: "VMDQ_LOOPBACK_EN") != 0), vlanInsert: vmvir)
        default:  // 82599: PFVFSPOOF(r) holds pools 8r..8r+7.
            let mac = (0..<8).reduce(UInt64(0)) { $0 | UInt64(peek("PFVFSPOOF[\($1)]", field: "MACAS")) << UInt64(8 * $1) }
            let vlan = (0..<8).reduce(UInt64(0)) { $0 | UInt64(peek("PFVFSPOOF[\($1)]", field: "VLANAS")) << UInt64(8 * $1) }
            return .init(transmitEnable: Bits(pair("VFTE[0]", "VFTE[1]")), macAntiSpoof: Bits(mac), vlanAntiSpoof: Bits(vlan),
                         loopbackEnable: Bit(peek("PFDTXGSWC", field: "VT_LBEN") != 0), vlanInsert: vmvir)
        }
    }
}
