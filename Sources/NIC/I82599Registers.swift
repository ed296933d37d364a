import PCIe

/// The 82599's (Linux ixgbe) register map, the functions IOVSim models so far, in the
/// datasheet's order (82599 datasheet §8; offsets as in Linux ixgbe_type.h and sriov-facts
/// §4.7). One port; 64 VMDq pools of 2 queues (VF n is pool n, the PF pool 63 in Linux's layout
/// with 63 VFs).
extension RegisterMap {
    public static let i82599: RegisterMap = {
        var r: [MMIORegister] = [
            MMIORegister("CTRL", offset: 0x0000, fields: RegisterMap.controlFields),
            MMIORegister("STATUS", offset: 0x0008, .ro),
            MMIORegister("CTRL_EXT", offset: 0x0018, fields: RegisterMap.extendedControlFields),
        ]
        // Queues (§8.2.3.8, §8.2.3.9): 128 Rx and 128 Tx; Rx queues 0-63 at 0x1000 + 0x40 q, 64-127
        // at 0xD000 + 0x40 (q - 64); Tx at 0x6000 + 0x40 q (ixgbe_type.h IXGBE_RDBAL(q), IXGBE_TDBAL(q)).
        // SRRCTL and DCA_RXCTRL of queues 0-15 also answer at 0x2100 / 0x2200 + 4 q (82598 layout).
        for q in 0..<128 {
            let rx = q < 64 ? 0x1000 + 0x40 * q : 0xD000 + 0x40 * (q - 64)
            r += Self.i82599RxQueueRegisters.map { $0.register(queue: q, base: rx) }
            r += Self.i82599TxQueueRegisters.map { $0.register(queue: q, base: 0x6000 + 0x40 * q) }
        }
        for q in 0..<16 {
            r += [MMIORegister("SRRCTL[\(q)] at 0x2100", offset: 0x2100 + 4 * q, fields: [], writeAction: .alias(of: "SRRCTL[\(q)]")),
                  MMIORegister("DCA_RXCTRL[\(q)] at 0x2200", offset: 0x2200 + 4 * q, fields: [], writeAction: .alias(of: "DCA_RXCTRL[\(q)]"))]
        }
        // VF Function Level Reset events, write 1 to clear (ixgbe IXGBE_VFLREC(i)).
        r += RegisterMap.array("VFLREC", base: 0x0700, count: 2, fields: [RegisterField("VFLREC", lsb: 0, width: 32, .rw1c)])
        r += RegisterMap.array("PFMBICR", base: 0x0710, count: 4, fields: [RegisterField("VFREQ", lsb: 0, width: 16, .rw1c),
                                                                             RegisterField("VFACK", lsb: 16, width: 16, .rw1c)])
        r += RegisterMap.array("PFMBIMR", base: 0x0720, count: 4)
        // Interrupts (§8.2.3.5): EICS sets causes, EIMS/EIMC set and clear the mask.
        r += [
            MMIORegister("EICR", offset: 0x0800, .rw1c),
            MMIORegister("EICS", offset: 0x0808, .wo, writeAction: .setBits(in: "EICR", readsTarget: false)),
            MMIORegister("EIAC", offset: 0x0810),
        ]
        // EITR (§8.2.3.5.12): the minimum interval between a vector's interrupts, in 2 µs units.
        r += RegisterMap.array("EITR", base: 0x0820, count: 24, fields: RegisterMap.i82599InterruptThrottle)
        r += [
            MMIORegister("EIMS", offset: 0x0880, .rw, writeAction: .setBits(in: "EIMS", readsTarget: true)),
            MMIORegister("EIMC", offset: 0x0888, .wo, writeAction: .clearBits(in: "EIMS")),
            MMIORegister("EIAM", offset: 0x0890),
        ]
        // IVAR(0..63): two queues each, Rx and Tx (§8.2.3.5.16; the 82598 had 24).
        r += RegisterMap.array("IVAR", base: 0x0900, count: 64)
        r += [MMIORegister("IVAR_MISC", offset: 0x0A00)]
        r += [
            MMIORegister("HLREG0", offset: 0x4240, fields: [RegisterField("TXCRCEN", lsb: 0), RegisterField("RXCRCSTRP", lsb: 1), RegisterField("JUMBOEN", lsb: 2),
                                                            RegisterField("TXPADEN", lsb: 10), RegisterField("LPBK", lsb: 15)]),
            MMIORegister("MAXFRS", offset: 0x4268, fields: [RegisterField("MFS", lsb: 16, width: 16, reset: 1518)]),
            // Link up at 10 Gb/s (ixgbe: IXGBE_LINKS_UP, IXGBE_LINKS_SPEED_10G_82599).
            MMIORegister("LINKS", offset: 0x42A4, fields: [RegisterField("LINK_SPEED", lsb: 28, width: 2, .ro, reset: 3), RegisterField("LINK_UP", lsb: 30, .ro, reset: 1)]),
        ]
        // Statistics (§8.2.3.23) of packet buffer 0: Missed Packets Count, Receive No Buffers Count.
        r += [MMIORegister("MPC", offset: 0x3FA0, .rc), MMIORegister("RNBC", offset: 0x3FC0, .rc)]
        // Transmit rate limiting (§7.7.2.2.2; ixgbe_set_vf_rate_limit): RTTDQSEL selects a Tx
        // queue, RTTBCNRC is its rate factor and enable.
        r += [
            MMIORegister("RTTDQSEL", offset: 0x4904, fields: [RegisterField("TXDQ_IDX", lsb: 0, width: 7)]),
            MMIORegister("RTTBCNRC", offset: 0x4984, fields: RegisterMap.rateFactorFields),
        ]
        r += RegisterMap.array("PFMAILBOX", base: 0x4B00, count: 64, fields: RegisterMap.pfMailboxFields)
        r += [
            MMIORegister("FCTRL", offset: 0x5080, fields: [RegisterField("SBP", lsb: 1), RegisterField("MPE", lsb: 8), RegisterField("UPE", lsb: 9),
                                                           RegisterField("BAM", lsb: 10)]),
            MMIORegister("VLNCTRL", offset: 0x5088, fields: [RegisterField("VET", lsb: 0, width: 16, reset: 0x8100), RegisterField("CFI", lsb: 28),
                                                             RegisterField("CFIEN", lsb: 29), RegisterField("VFE", lsb: 30)]),
            MMIORegister("MCSTCTRL", offset: 0x5090, fields: [RegisterField("MO", lsb: 0, width: 2), RegisterField("MFE", lsb: 2)]),
            MMIORegister("VT_CTL", offset: 0x51B0, fields: [
                RegisterField("VT_ENA", lsb: 0), RegisterField("DEF_PL", lsb: 7, width: 6), RegisterField("DIS_DEF_POOL", lsb: 29), RegisterField("REPLEN", lsb: 30),
            ]),
        ]
        r += RegisterMap.array("VFRE", base: 0x51E0, count: 2)
        r += RegisterMap.array("MTA", base: 0x5200, count: 128)
        r += [MMIORegister("MRQC", offset: 0x5818, fields: [RegisterField("MRQE", lsb: 0, width: 4), RegisterField("RSS_FIELDS", lsb: 16, width: 16)])]
        r += RegisterMap.array("VMVIR", base: 0x8000, count: 64, fields: [RegisterField("VLAN_VID", lsb: 0, width: 16), RegisterField("VLANA", lsb: 30, width: 2)])
        r += RegisterMap.array("VFTE", base: 0x8110, count: 2)
        r += RegisterMap.array("PFVFSPOOF", base: 0x8200, count: 8, fields: [RegisterField("MACAS", lsb: 0, width: 8), RegisterField("VLANAS", lsb: 8, width: 8),
                                                                             RegisterField("ETHERTYPEAS", lsb: 24, width: 8)])
        r += [MMIORegister("PFDTXGSWC", offset: 0x8220, fields: [RegisterField("VT_LBEN", lsb: 0)])]
        // Switch security violation packet count: frames dropped by anti-spoofing (ixgbe reads
        // it in ixgbe_spoof_check and reports "spoofed packets detected").
        r += [MMIORegister("SSVPC", offset: 0x8780, .rc)]
        // Receive addresses: 128 entries at 0xA200, each with a 64-bit pool map MPSAR; the first
        // 16 also answer at 0x5400 (82598 compatible; ixgbe's IXGBE_RAL(i) uses them).
        let rah = [RegisterField("RAH", lsb: 0, width: 16), RegisterField("AV", lsb: 31)]
        for i in 0..<128 {
            r += [MMIORegister("RAL[\(i)]", offset: 0xA200 + 8 * i), MMIORegister("RAH[\(i)]", offset: 0xA204 + 8 * i, fields: rah)]
        }
        for i in 0..<16 {
            r += [MMIORegister("RAL[\(i)] at 0x5400", offset: 0x5400 + 8 * i, fields: [], writeAction: .alias(of: "RAL[\(i)]")),
                  MMIORegister("RAH[\(i)] at 0x5404", offset: 0x5404 + 8 * i, fields: [], writeAction: .alias(of: "RAH[\(i)]"))]
        }
        for i in 0..<128 {
            r += [MMIORegister("MPSAR_LO[\(i)]", offset: 0xA600 + 8 * i), MMIORegister("MPSAR_HI[\(i)]", offset: 0xA604 + 8 * i)]
        }
        r += RegisterMap.array("VMOLR", base: 0xF000, count: 64, fields: [
            RegisterField("AUPE", lsb: 24), RegisterField("ROMPE", lsb: 25), RegisterField("ROPE", lsb: 26), RegisterField("BAM", lsb: 27), RegisterField("MPE", lsb: 28),
        ])
        r += RegisterMap.array("VLVF", base: 0xF100, count: 64, fields: [RegisterField("VLAN_ID", lsb: 0, width: 12), RegisterField("VI_EN", lsb: 31)])
        r += RegisterMap.array("VLVFB", base: 0xF200, count: 128)
        r += RegisterMap.array("UTA", base: 0xF400, count: 128)
        // Mailbox memory: 16 dwords per VF (PFMBMEM(n) = 0x13000 + 64n).
        r += RegisterMap.array("PFMBMEM", base: 0x13000, count: 64 * 16)
        // The registers only a VF sees (its control, interrupt, mailbox and statistics registers,
        // which the 82599 keeps in the VF's own space): IOVSim keeps VF n's at
        // `vfPrivateBase + 0x1000 n`, past the end of the PF's 512 KiB BAR0, so the PF's BAR
        // cannot reach them; `VFRegisterWindow.i82599` maps the VF's offsets there.
        for n in 0..<64 {
            let base = Self.i82599VFPrivateBase + 0x1000 * n
            r += [
                MMIORegister("VFCTRL[\(n)]", offset: base, fields: RegisterMap.controlFields),
                MMIORegister("VTEICR[\(n)]", offset: base + 0x100, .rw1c),
                MMIORegister("VTEICS[\(n)]", offset: base + 0x104, .wo, writeAction: .setBits(in: "VTEICR[\(n)]", readsTarget: false)),
                MMIORegister("VTEIMS[\(n)]", offset: base + 0x108, .rw, writeAction: .setBits(in: "VTEIMS[\(n)]", readsTarget: true)),
                MMIORegister("VTEIMC[\(n)]", offset: base + 0x10C, .wo, writeAction: .clearBits(in: "VTEIMS[\(n)]")),
                MMIORegister("VTEIAC[\(n)]", offset: base + 0x110),
                MMIORegister("VTEIAM[\(n)]", offset: base + 0x114),
            ]
            r += (0..<4).map { MMIORegister("VTIVAR[\(n)][\($0)]", offset: base + 0x120 + 4 * $0) }
            r += [
                MMIORegister("VTIVAR_MISC[\(n)]", offset: base + 0x140),
                MMIORegister("VFMAILBOX[\(n)]", offset: base + 0x2FC, fields: RegisterMap.vfMailboxFields),
                MMIORegister("VFPSRTYPE[\(n)]", offset: base + 0x300),
            ]
            r += (0..<3).map { MMIORegister("VTEITR[\(n)][\($0)]", offset: base + 0x820 + 4 * $0, fields: RegisterMap.i82599InterruptThrottle) }
            // Statistics (read-only counters): Rx at 0xE00 + (VF offset - 0x1000), Tx at 0xF00 + (VF offset - 0x2000).
            for (name, offset) in Self.i82599VFStatistics {
                r.append(MMIORegister("\(name)[\(n)]", offset: base + (offset < 0x2000 ? 0xE00 + offset - 0x1000 : 0xF00 + offset - 0x2000), .ro))
            }
        }
        return RegisterMap(family: "82599", pools: 64, pfWindow: Self.i82599VFPrivateBase, registers: r.sorted { $0.offset < $1.offset })
    }()

    /// A queue's Rx ring registers in its 0x40-byte block, as both the PF and the VF (ixgbevf
    /// IXGBE_VFRDBAL(q) = 0x1000 + 0x40 q ...) see them (82599 datasheet §8.2.3.8; ixgbe
    /// IXGBE_SRRCTL_*, IXGBE_RXDCTL_*): SRRCTL's packet buffer in KiB, header buffer in 64-byte
    /// units, descriptor type, drop-enable at bit 28. RXDCTL keeps the 82598's threshold fields
    /// (the 82599 fixes its Rx prefetch internally; IOVSim reads them when set).
    public static let i82599RxQueueRegisters: [QueueRegister] = [
        QueueRegister("RDBAL", 0x00, [RegisterField("BAL", lsb: 7, width: 25)]), QueueRegister("RDBAH", 0x04),
        QueueRegister("RDLEN", 0x08, QueueRegister.length), QueueRegister("DCA_RXCTRL", 0x0C), QueueRegister("RDH", 0x10, QueueRegister.pointer),
        QueueRegister("SRRCTL", 0x14, [RegisterField("BSIZEPACKET", lsb: 0, width: 5, reset: 2), RegisterField("BSIZEHEADER", lsb: 8, width: 6, reset: 4),
                                       RegisterField("DESCTYPE", lsb: 25, width: 3), RegisterField("DROP_EN", lsb: 28)]),
        QueueRegister("RDT", 0x18, QueueRegister.pointer),
        QueueRegister("RXDCTL", 0x28, [RegisterField("PTHRESH", lsb: 0, width: 7), RegisterField("HTHRESH", lsb: 8, width: 7),
                                       RegisterField("WTHRESH", lsb: 16, width: 7), RegisterField("ENABLE", lsb: 25), RegisterField("VME", lsb: 30)]),
        QueueRegister("RSCCTL", 0x2C),
    ]
    /// A queue's Tx ring registers (82599 datasheet §8.2.3.9; ixgbe IXGBE_TXDCTL_*).
    public static let i82599TxQueueRegisters: [QueueRegister] = [
        QueueRegister("TDBAL", 0x00, [RegisterField("BAL", lsb: 7, width: 25)]), QueueRegister("TDBAH", 0x04),
        QueueRegister("TDLEN", 0x08, QueueRegister.length), QueueRegister("DCA_TXCTRL", 0x0C), QueueRegister("TDH", 0x10, QueueRegister.pointer),
        QueueRegister("TDT", 0x18, QueueRegister.pointer),
        QueueRegister("TXDCTL", 0x28, [RegisterField("PTHRESH", lsb: 0, width: 7), RegisterField("HTHRESH", lsb: 8, width: 7),
                                       RegisterField("WTHRESH", lsb: 16, width: 7), RegisterField("ENABLE", lsb: 25), RegisterField("SWFLSH", lsb: 26)]),
        QueueRegister("TDWBAL", 0x38, [RegisterField("HEAD_WB_EN", lsb: 0), RegisterField("HEADWBA", lsb: 2, width: 30)]), QueueRegister("TDWBAH", 0x3C),
    ]
    /// A VF's statistics registers at their VF-view offsets (ixgbevf IXGBE_VFGPRC ...).
    public static let i82599VFStatistics: [(String, Int)] = [
        ("VFGPRC", 0x101C), ("VFGORC_LSB", 0x1020), ("VFGORC_MSB", 0x1024), ("VFMPRC", 0x1034),
        ("VFGPTC", 0x201C), ("VFGOTC_LSB", 0x2020), ("VFGOTC_MSB", 0x2024),
    ]
    /// EITR and VTEITR: ITR_INTERVAL in 2 µs units (ixgbe IXGBE_EITR_ITR_INT_MASK 0xFF8), CNT_WDIS.
    static let i82599InterruptThrottle = [RegisterField("ITR_INTERVAL", lsb: 3, width: 9), RegisterField("CNT_WDIS", lsb: 31)]

    /// Where IOVSim keeps the 82599 VFs' own registers (beyond the PF's BAR0).
    public static let i82599VFPrivateBase = 0x80000
}
