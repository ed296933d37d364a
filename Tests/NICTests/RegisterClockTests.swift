@testable import NIC
import PCIe
import RTL
import Testing

/// The register file between software and hardware (DESIGN.md §3, two-phase update): in a
/// clock, MMIO (what the endpoint does for a driver's load or store) and the NIC's own logic
/// (the sorter counting a frame, the interrupt unit setting a cause, the DMA engine reading a
/// control register) each see the registers as the clock began plus their own changes; the
/// other side's changes show from the next clock. Where both change the same bits in one
/// clock, hardware's change stands (a cause set while software clears it stays set, as the
/// 82599's interrupt causes do). Each case runs with the two sides ticked in either order.
@Suite("Registers between software and hardware within a clock")
struct RegisterClockTests {
    /// A component that runs the actions planned for a clock.
    final class Side: Component {
        let path: String
        var plan: [UInt64: [() -> Void]] = [:]
        init(_ path: String) { self.path = path }
        func tick(_ simulator: Simulator) { for action in plan[simulator.now] ?? [] { action() } }
    }

    static let map = RegisterMap.i82599

    static func offset(_ name: String) -> UInt64 { UInt64(map.register(named: name)!.offset) }

    static func index(_ name: String) -> Int { map.index(named: name)! }

    /// The two sides around one register file, `software` declared first.
    static func rig(_ order: Simulator.TickOrder) -> (Simulator, NICRegisters, software: Side, hardware: Side) {
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        let registers = NICRegisters(map: map, pfs: 1)
        registers.clock = sim
        let software = Side("top.endpoint"), hardware = Side("top.nic")
        sim.add(software)
        sim.add(hardware)
        return (sim, registers, software, hardware)
    }

    static func plan(_ sim: Simulator, _ side: Side, at clock: UInt64, _ action: @escaping () -> Void) {
        side.plan[clock, default: []].append(action)
        sim.wake(side, at: clock)
    }

    @Test("a statistics counter counted in the clock of a VF driver's load reads as before it; a register the PF driver stores to reaches the NIC's logic the next clock",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func eachSideSeesTheOtherNextClock(order: Simulator.TickOrder) {
        let (sim, registers, software, hardware) = Self.rig(order)
        var loads: [UInt32] = [], seen: [UInt32] = []
        let eitr = Self.index("EITR[0]")
        // VF 0's VFGPRC at its own offset (ixgbevf IXGBE_VFGPRC), as the VF's BAR0 shows it.
        let load = { loads.append(registers.read(.vf(pf: 0, index: 0), bar: 0, offset: 0x101C, byteEnables: 0xF)) }
        Self.plan(sim, software, at: 10) {
            load()
            registers.write(.pf(0), bar: 0, offset: Self.offset("EITR[0]"), value: 0x1F8, byteEnables: 0xF)
        }
        Self.plan(sim, software, at: 11, load)
        Self.plan(sim, hardware, at: 10) {
            registers.count(.goodPacketsReceived, port: 0, pool: 0)
            seen.append(registers.value(port: 0, index: eitr))
        }
        Self.plan(sim, hardware, at: 11) { seen.append(registers.value(port: 0, index: eitr)) }
        sim.run(clocks: 20)
        #expect(loads == [0, 1], "VFGPRC read at clocks 10 and 11")
        #expect(seen == [0, 0x1F8], "EITR[0] as the NIC's logic read it at clocks 10 and 11")
        #expect(registers.value(port: 0, index: Self.index("VFGPRC[0]")) == 1)
    }

    @Test("both sides change one register in a clock: hardware's bits stand, software's other bits too (EICR: a cause set as the driver clears it; EIMS: auto-mask and the driver's EIMC)",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func bothChangeOneRegister(order: Simulator.TickOrder) {
        let (sim, registers, software, hardware) = Self.rig(order)
        let eicr = Self.index("EICR"), eims = Self.index("EIMS")
        registers.hardwareStore(port: 0, index: eims, value: 0b0011)
        registers.hardwareStore(port: 0, index: eicr, value: 0b1000)
        Self.plan(sim, software, at: 10) {
            // Write 1 to clear causes 0 and 3 (RW1C); clear mask bit 1 (EIMC).
            registers.write(.pf(0), bar: 0, offset: Self.offset("EICR"), value: 0b1001, byteEnables: 0xF)
            registers.write(.pf(0), bar: 0, offset: Self.offset("EIMC"), value: 0b0010, byteEnables: 0xF)
        }
        Self.plan(sim, hardware, at: 10) {
            // Cause 0 set, and mask bit 2 set, each from what hardware reads this clock.
            registers.hardwareStore(port: 0, index: eicr, value: registers.value(port: 0, index: eicr) | 0b0001)
            registers.hardwareStore(port: 0, index: eims, value: registers.value(port: 0, index: eims) | 0b0100)
        }
        sim.run(clocks: 20)
        #expect(registers.value(port: 0, index: eicr) == 0b0001, "cause 0 set by hardware stays; cause 3 cleared by software")
        #expect(registers.value(port: 0, index: eims) == 0b0101, "bit 1 cleared by software, bit 2 set by hardware")
    }

    @Test("a filter register the PF driver stores to (VFRE) reaches the sorter's and the transmit switch's decode the next clock",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func filtersNextClock(order: Simulator.TickOrder) {
        let (sim, registers, software, hardware) = Self.rig(order)
        _ = registers.filters(port: 0)
        let before = registers.filtersVersion(port: 0)
        var decoded: [(version: UInt64, enabled: UInt64)] = []
        let decode = { decoded.append((registers.filtersVersion(port: 0), registers.filters(port: 0).tables.receiveEnable.value)) }
        Self.plan(sim, software, at: 10) { registers.write(.pf(0), bar: 0, offset: Self.offset("VFRE[0]"), value: 0b101, byteEnables: 0xF) }
        Self.plan(sim, hardware, at: 10, decode)
        Self.plan(sim, hardware, at: 11, decode)
        sim.run(clocks: 20)
        #expect(decoded.map(\.enabled) == [0, 0b101], "pools enabled to receive, as decoded at clocks 10 and 11")
        #expect(decoded.first?.version == before && decoded.last?.version != before)
    }

    @Test("MSI-X: a vector the VF driver unmasks reaches the interrupt unit the next clock; a pending bit the unit sets shows in the PBA the next clock",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func msixNextClock(order: Simulator.TickOrder) {
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        // A VF's table in BAR 3 at 0, its PBA at 0x2000 (the 82599's, Models/i82599.toml).
        let vf = MSIXCapability(tableSize: 3, tableBAR: 3, tableOffset: 0, pbaBAR: 3, pbaOffset: 0x2000)
        let registers = NICRegisters(map: Self.map, pfs: 1, msix: MSIXTables(pf: nil, vf: vf))
        registers.clock = sim
        let software = Side("top.endpoint"), hardware = Side("top.nic")
        sim.add(software)
        sim.add(hardware)
        let f = SRIOVDevice.FunctionID.vf(pf: 0, index: 0), msix = registers.msix
        var masked: [Bool] = [], pba: [UInt32] = []
        // Vector 1's Vector Control (dword 3 of entry 1): Mask cleared.
        Self.plan(sim, software, at: 10) { _ = msix.write(f, bar: 3, offset: 0x1C, value: 0, byteEnables: 0xF) }
        Self.plan(sim, software, at: 20) { pba.append(msix.read(f, bar: 3, offset: 0x2000) ?? 0xDEAD) }
        Self.plan(sim, software, at: 21) { pba.append(msix.read(f, bar: 3, offset: 0x2000) ?? 0xDEAD) }
        Self.plan(sim, hardware, at: 10) { masked.append(msix.entry(f, vector: 1)?.masked ?? false) }
        Self.plan(sim, hardware, at: 11) { masked.append(msix.entry(f, vector: 1)?.masked ?? false) }
        Self.plan(sim, hardware, at: 20) { msix.setPending(f, vector: 2, true) }
        sim.run(clocks: 30)
        #expect(masked == [true, false], "vector 1's Mask as the interrupt unit read it at clocks 10 and 11")
        #expect(pba == [0, 0b100], "the PBA as the driver read it at clocks 20 and 21")
    }

    @Test("between clocks (set-up, tests) both sides act at once, as before")
    func outsideTheClock() {
        let (_, registers, _, _) = Self.rig(.declaration)
        registers.write(.pf(0), bar: 0, offset: Self.offset("EITR[0]"), value: 0x1F8, byteEnables: 0xF)
        #expect(registers.value(port: 0, index: Self.index("EITR[0]")) == 0x1F8)
        registers.count(.goodPacketsReceived, port: 0, pool: 0)
        #expect(registers.read(.vf(pf: 0, index: 0), bar: 0, offset: 0x101C, byteEnables: 0xF) == 1)
    }
}
