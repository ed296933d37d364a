import Host
import PCIe
import RTL
import Testing

/// Host memory between the CPU's programs and the devices' DMA within a clock: the CPU ticks
/// after every other component (`Simulator.add(_:last:)`), so a program reads memory as the
/// clock leaves it (the root complex's DMA writes of that clock included) and what it stores
/// reaches a device's reads from the next clock, whichever order the other components tick in.
@Suite("Host CPU and host memory within a clock")
struct HostCPUClockTests {
    /// Stands for the root complex serving devices' DMA: reads and writes host memory at the
    /// clocks planned.
    final class DMA: Component {
        let path = "top.rc.dma"
        var plan: [UInt64: () -> Void] = [:]
        func tick(_ simulator: Simulator) { plan[simulator.now]?() }
    }

    @Test("a program reads a DMA write of its own clock; a device reads a program's store of that clock the next",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func memoryAsTheClockLeavesIt(order: Simulator.TickOrder) {
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        let memory = HostMemory(size: 1 << 20)
        let rc = FabricNode(path: "top.rc", role: .rootComplex, ports: [], links: [])
        sim.add(rc)
        let cpu = HostCPU(sim, rootComplex: rc)
        let dma = DMA()
        sim.add(dma)
        var programRead: UInt32?, deviceReads: [UInt32] = []
        dma.plan[10] = {
            memory.write32(0x1000, 0xD0D0)               // a descriptor written back
            deviceReads.append(memory.read32(0x2000))    // a descriptor fetched
        }
        dma.plan[11] = { deviceReads.append(memory.read32(0x2000)) }
        sim.wake(dma, at: 10)
        sim.wake(dma, at: 11)
        cpu.start("driver") {
            await cpu.delay(10)
            programRead = memory.read32(0x1000)
            memory.write32(0x2000, 0x7A11)               // the driver posts a descriptor
        }
        sim.run(clocks: 20)
        #expect(programRead == 0xD0D0, "the program at clock 10 saw the DMA write of clock 10")
        #expect(deviceReads == [0, 0x7A11], "the device's reads at clocks 10 and 11")
    }
}
