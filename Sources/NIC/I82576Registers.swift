import PCIe

/// The 82576's (Linux igb) register map, the functions IOVSim models so far, in the datasheet's
/// order (82576 datasheet §8; offsets as in Linux igb e1000_regs.h and sriov-facts §1.3, §4.7).
/// One port; 8 VMDq pools (VF n is pool n, the PF the pool after its VFs).
extension RegisterMap {
    public static let i82576: RegisterMap = {
        var r: [MMIORegister] = [
            MMIORegister("CTRL", offset: 0x0000, fields: RegisterMap.controlFields),
            MMIORegister("STATUS", offset: 0x0008, .ro),
            MMIORegister("CTRL_EXT", offset: 0x0018, fields: RegisterMap.extendedControlFields),
            MMIORegister("RCTL", offset: 0x0100, fields: [
                RegisterField("EN", lsb: 1), RegisterField("SBP", lsb: 2), RegisterField("UPE", lsb: 3), RegisterField("MPE", lsb: 4),
                RegisterField("LPE", lsb: 5), RegisterField("LBM", lsb: 6, width: 2), RegisterField("RDMTS", lsb: 8, width: 2),
                RegisterField("MO", lsb: 12, width: 2), RegisterField("BAM", lsb: 15), RegisterField("BSIZE", lsb: 16, width: 2),
                RegisterField("VFE", lsb: 18), RegisterField("CFIEN", lsb: 19), RegisterField("CFI", lsb: 20), RegisterField("DPF", lsb: 22),
                RegisterField("PMCF", lsb: 23), RegisterField("BSEX", lsb: 25), RegisterField("SECRC", lsb: 26),
            ]),
            MMIORegister("TCTL", offset: 0x0400, fields: [RegisterField("EN", lsb: 1), RegisterField("PSP", lsb: 3), RegisterField("CT", lsb: 4, width: 8),
                                                          RegisterField("COLD", lsb: 12, width: 10)]),
        ]
        // Mailbox memory: 16 dwords per VF (VMBMEM(n) = 0x0800 + 64n).
        r += RegisterMap.array("VMBMEM", base: 0x0800, count: 8 * 16)
        r += RegisterMap.array("P2VMAILBOX", base: 0x0C00, count: 8, fields: RegisterMap.pfMailboxFields)
        r += [
            MMIORegister("MBVFICR", offset: 0x0C80, fields: [RegisterField("VFREQ", lsb: 0, width: 8, .rw1c), RegisterField("VFACK", lsb: 16, width: 8, .rw1c)]),
            MMIORegister("MBVFIMR", offset: 0x0C84, fields: [RegisterField("VFIM", lsb: 0, width: 8)]),
            MMIORegister("VFLRE", offset: 0x0C88, fields: [RegisterField("VFLE", lsb: 0, width: 8, .rw1c)]),
            MMIORegister("VFRE", offset: 0x0C8C, fields: [RegisterField("VFRE", lsb: 0, width: 8)]),
            MMIORegister("VFTE", offset: 0x0C90, fields: [RegisterField("VFTE", lsb: 0, width: 8)]),
            // Interrupts (§8.8): EICS sets causes, EIMS/EIMC set and clear the mask.
            MMIORegister("EICS", offset: 0x1520, .wo, writeAction: .setBits(in: "EICR", readsTarget: false)),
            MMIORegister("EIMS", offset: 0x1524, .rw, writeAction: .setBits(in: "EIMS", readsTarget: true)),
            MMIORegister("EIMC", offset: 0x1528, .wo, writeAction: .clearBits(in: "EIMS")),
            MMIORegister("EIAC", offset: 0x152C),
            MMIORegister("EIAM", offset: 0x1530),
            MMIORegister("EICR", offset: 0x1580, .rw1c),
        ]
        // EITR (§8.8.12): the minimum interval between a vector's interrupts, in microseconds.
        r += RegisterMap.array("EITR", base: 0x1680, count: 25, fields: [RegisterField("INTERVAL", lsb: 2, width: 13), RegisterField("CNT_INGR", lsb: 31)])
        r += RegisterMap.array("IVAR0", base: 0x1700, count: 8)
        r += [
            MMIORegister("IVAR_MISC", offset: 0x1740),
            // VM-to-VM switch and anti-spoofing (§8.14).
            MMIORegister("DTXSWC", offset: 0x3500, fields: [
                RegisterField("MAC_SPOOF", lsb: 0, width: 8), RegisterField("VLAN_SPOOF", lsb: 8, width: 8), RegisterField("LLE", lsb: 16, width: 8),
                RegisterField("VMDQ_LOOPBACK_EN", lsb: 31),
            ]),
            MMIORegister("LVMMC", offset: 0x3548, .rc),
            MMIORegister("WVBR", offset: 0x3554, .rc),
        ]
        // Transmit rate limiting (§7.2.5.3; igb_set_vf_rate_limit): RTTDQSEL selects a Tx queue,
        // RTTBCNRC is that queue's rate factor (link speed / rate, RF_INT.RF_DEC with 14
        // binary places) and enable.
        r += [
            MMIORegister("RTTDQSEL", offset: 0x3604, fields: [RegisterField("TXDQ_IDX", lsb: 0, width: 7)]),
            MMIORegister("RTTBCNRC", offset: 0x36B0, fields: RegisterMap.rateFactorFields),
        ]
        r += RegisterMap.array("VMVIR", base: 0x3700, count: 8, fields: [RegisterField("VLAN_DEFAULT", lsb: 0, width: 16), RegisterField("VLANA", lsb: 30, width: 2)])
        // Statistics (§8.19): Missed Packets Count (packet buffer full), Receive No Buffers Count.
        r += [MMIORegister("MPC", offset: 0x4010, .rc), MMIORegister("RNBC", offset: 0x40A0, .rc)]
        r += [MMIORegister("RLPML", offset: 0x5004, fields: [RegisterField("RLPML", lsb: 0, width: 14)])]
        r += RegisterMap.array("MTA", base: 0x5200, count: 128)
        // Receive addresses: 16 at RAL/RAH 0x5400, 8 more (RA2) at 0x54E0.
        let rah = [RegisterField("RAH", lsb: 0, width: 16), RegisterField("ASEL", lsb: 16, width: 2), RegisterField("POOLSEL", lsb: 18, width: 8),
                   RegisterField("AV", lsb: 31)]
        for i in 0..<24 {
            let base = i < 16 ? 0x5400 + 8 * i : 0x54E0 + 8 * (i - 16)
            r += [MMIORegister("RAL[\(i)]", offset: base), MMIORegister("RAH[\(i)]", offset: base + 4, fields: rah)]
        }
        r += [
            MMIORegister("MRQC", offset: 0x5818, fields: [RegisterField("MRQE", lsb: 0, width: 3), RegisterField("RSS_FIELDS", lsb: 16, width: 16)]),
            MMIORegister("VT_CTL", offset: 0x581C, fields: [
                RegisterField("DEF_PL", lsb: 7, width: 3), RegisterField("IGNORE_MAC", lsb: 28), RegisterField("DIS_DEF_POOL", lsb: 29),
                RegisterField("VM_REPL_EN", lsb: 30),
            ]),
        ]
        r += RegisterMap.array("VMOLR", base: 0x5AD0, count: 8, fields: [
            RegisterField("RLPML", lsb: 0, width: 14), RegisterField("LPE", lsb: 16), RegisterField("RSSE", lsb: 17), RegisterField("AUPE", lsb: 24),
            RegisterField("ROMPE", lsb: 25), RegisterField("ROPE", lsb: 26), RegisterField("BAM", lsb: 27), RegisterField("MPME", lsb: 28),
            RegisterField("STRVLAN", lsb: 30), RegisterField("STRCRC", lsb: 31),
        ])
        r += RegisterMap.array("VLVF", base: 0x5D00, count: 32, fields: [
            RegisterField("VLAN_ID", lsb: 0, width: 12), RegisterField("POOLSEL", lsb: 12, width: 8), RegisterField("LVLAN", lsb: 20), RegisterField("VIEN", lsb: 31),
        ])
        r += RegisterMap.array("UTA", base: 0xA000, count: 128)
        // Queues (§8.10, §8.12): 16 Rx and 16 Tx; queues 0-3 at their legacy offsets
        // (0x2800 / 0x3800 + 0x100 q), the rest at 0xC000 / 0xE000 + 0x40 q (igb's E1000_RDBAL(q)).
        for q in 0..<16 {
            let rx = q < 4 ? 0x2800 + 0x100 * q : 0xC000 + 0x40 * q, tx = q < 4 ? 0x3800 + 0x100 * q : 0xE000 + 0x40 * q
            r += Self.i82576RxQueueRegisters.map { $0.register(queue: q, base: rx) }
            r += Self.i82576TxQueueRegisters.map { $0.register(queue: q, base: tx) }
        }
        // Per-VF mirrors of the VF's own control and interrupt registers (§8.26; QEMU igb's
        // PVT* registers at 0x10000 + 0x100 n, VTIVAR at 0x11700 + 4 n).
        for n in 0..<8 {
            let base = 0x10000 + 0x100 * n
            r += [
                MMIORegister("PVTCTRL[\(n)]", offset: base, fields: RegisterMap.controlFields),
                MMIORegister("PVTEICS[\(n)]", offset: base + 0x20, .wo, writeAction: .setBits(in: "PVTEICR[\(n)]", readsTarget: false)),
                MMIORegister("PVTEIMS[\(n)]", offset: base + 0x24, .rw, writeAction: .setBits(in: "PVTEIMS[\(n)]", readsTarget: true)),
                MMIORegister("PVTEIMC[\(n)]", offset: base + 0x28, .wo, writeAction: .clearBits(in: "PVTEIMS[\(n)]")),
                MMIORegister("PVTEIAC[\(n)]", offset: base + 0x2C),
                MMIORegister("PVTEIAM[\(n)]", offset: base + 0x30),
                MMIORegister("PVTEICR[\(n)]", offset: base + 0x80, .rw1c),
            ]
            // Per-pool statistics (read-only counters the hardware counts; igb E1000_PVFGPRC(n)).
            r += Self.i82576VFStatistics.map { MMIORegister("P\($0.0)[\(n)]", offset: base + $0.1 - 0xF00, .ro) }
        }
        r += RegisterMap.array("VTIVAR", base: 0x11700, count: 8)
        r += RegisterMap.array("VTIVAR_MISC", base: 0x11720, count: 8)
        r += RegisterMap.array("V2PMAILBOX", base: 0x0C40, count: 8, fields: RegisterMap.vfMailboxFields)
        return RegisterMap(family: "82576", pools: 8, pfWindow: 0x20000, registers: r.sorted { $0.offset < $1.offset })
    }()

    /// A queue's Rx ring registers, as both the PF and the VF see them (82576 datasheet
    /// §8.10; igb E1000_SRRCTL_*, E1000_RXDCTL_*): SRRCTL's packet buffer size in KiB, header
    /// buffer in 64-byte units, descriptor type (1 = advanced, one buffer) and drop-enable;
    /// RXDCTL's prefetch, host and write-back thresholds and queue enable.
    public static let i82576RxQueueRegisters: [QueueRegister] = [
        QueueRegister("RDBAL", 0x00, [RegisterField("BAL", lsb: 7, width: 25)]), QueueRegister("RDBAH", 0x04),
        QueueRegister("RDLEN", 0x08, QueueRegister.length),
        QueueRegister("SRRCTL", 0x0C, [RegisterField("BSIZEPACKET", lsb: 0, width: 7, reset: 2), RegisterField("BSIZEHEADER", lsb: 8, width: 4, reset: 4),
                                       RegisterField("DESCTYPE", lsb: 25, width: 3), RegisterField("DROP_EN", lsb: 31)]),
        QueueRegister("RDH", 0x10, QueueRegister.pointer), QueueRegister("RXCTL", 0x14), QueueRegister("RDT", 0x18, QueueRegister.pointer),
        QueueRegister("RXDCTL", 0x28, [RegisterField("PTHRESH", lsb: 0, width: 5), RegisterField("HTHRESH", lsb: 8, width: 5),
                                       RegisterField("WTHRESH", lsb: 16, width: 5), RegisterField("ENABLE", lsb: 25), RegisterField("SWFLSH", lsb: 26)]),
        // Receive Queue Drop Packet Count: frames dropped for want of a descriptor (DROP_EN).
        QueueRegister("RQDPC", 0x30, [RegisterField("RQDPC", lsb: 0, width: 32, .rc)]),
    ]
    /// A queue's Tx ring registers (82576 datasheet §8.12): TXDCTL as RXDCTL; TDWBAL's bit 0
    /// enables head write-back to the address TDWBAH:TDWBAL.
    public static let i82576TxQueueRegisters: [QueueRegister] = [
        QueueRegister("TDBAL", 0x00, [RegisterField("BAL", lsb: 7, width: 25)]), QueueRegister("TDBAH", 0x04),
        QueueRegister("TDLEN", 0x08, QueueRegister.length), QueueRegister("TDH", 0x10, QueueRegister.pointer), QueueRegister("TXCTL", 0x14),
        QueueRegister("TDT", 0x18, QueueRegister.pointer),
        QueueRegister("TXDCTL", 0x28, [RegisterField("PTHRESH", lsb: 0, width: 5), RegisterField("HTHRESH", lsb: 8, width: 5),
                                       RegisterField("WTHRESH", lsb: 16, width: 5), RegisterField("ENABLE", lsb: 25), RegisterField("SWFLSH", lsb: 26)]),
        QueueRegister("TDWBAL", 0x38, [RegisterField("HEAD_WB_EN", lsb: 0), RegisterField("HEADWBA", lsb: 2, width: 30)]), QueueRegister("TDWBAH", 0x3C),
    ]

    /// A VF's statistics registers at their VF-view offsets (igbvf E1000_VFGPRC ...); the PF
    /// sees VF n's as PVF... at 0x10000 + 0x100 n + (offset - 0xF00).
    public static let i82576VFStatistics: [(String, Int)] = [
        ("VFGPRC", 0xF10), ("VFGPTC", 0xF14), ("VFGORC", 0xF18), ("VFGOTC", 0xF34), ("VFMPRC", 0xF3C),
        ("VFGPRLBC", 0xF40), ("VFGPTLBC", 0xF44), ("VFGORLBC", 0xF48), ("VFGOTLBC", 0xF50),
    ]
}
