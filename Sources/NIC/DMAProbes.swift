import PCIe
import RTL

extension DMAEngine {
    /// Registers the engine's signals under `prefix` (`top.nic0`): its requests (posted writes
    /// and reads waiting, tags in use), per port the packet buffers' fill and the drop and
    /// error counters, per traced pool its first Rx and Tx queue's head, tail, prefetched
    /// descriptors and enable, and per traced function its interrupt line (high in the clock a
    /// message goes) and, for a VF, its mailbox bits (its side of the mailbox register). The last
    /// pool is traced as the PF's (Linux's layout with every VF enabled).
    /// `changes`: what says the engine's state and registers may have changed (its ticks and
    /// those of whatever writes its registers); the interrupt lines have their own (the last
    /// message's clock and the next).
    public func registerProbes(_ sim: Simulator, prefix: String, pools: [Int], changes: ProbeChanges? = nil) {
        let d = "\(prefix).dma"
        // An interrupt line rises on the clock a message goes and falls on the next: it can
        // only change on those clocks.
        let lines = sim.changes { [unowned(unsafe) sim] in self.interrupts.lastAnyMessage.map { min(sim.now, $0 &+ 1) } ?? 0 }
        sim.probe("\(d).posted", width: 16, changes: changes) { UInt64(min(self.requester.queuedPosted, 0xFFFF)) }
        sim.probe("\(d).reads_waiting", width: 16, changes: changes) { UInt64(min(self.requester.queuedReads, 0xFFFF)) }
        sim.probe("\(d).tags", width: 9, changes: changes) { UInt64(self.requester.tagsInUse) }
        sim.probe("\(d).requests", width: 32, changes: changes) { (self.requester.writesIssued + self.requester.readsIssued) & 0xFFFF_FFFF }
        for p in ports {
            let port = p.port.index, path = "\(prefix).port\(port)"
            sim.probe("\(path).rxpb.bytes", width: 24, changes: changes) { UInt64(min(p.receiveBufferBytes, 0xFF_FFFF)) }
            sim.probe("\(path).txpb.bytes", width: 24, changes: changes) { UInt64(min(max(p.transmitBufferUsed, 0), 0xFF_FFFF)) }
            sim.probe("\(path).rx.missed", width: 32, changes: changes) { p.counters.missed & 0xFFFF_FFFF }
            sim.probe("\(path).rx.no_descriptor", width: 32, changes: changes) { p.counters.noDescriptor & 0xFFFF_FFFF }
            sim.probe("\(path).queue_errors", width: 16, changes: changes) { p.counters.queueErrors & 0xFFFF }
            // A queue's probes and the mailbox change only with the rings and with software's
            // accesses (tails, mailbox bits; not with the counters hardware bumps per frame).
            let rings = changes == nil ? nil : sim.changes { [unowned(unsafe) self] in p.ringsVersion &+ self.registers.softwareVersion }
            for pool in pools where pool < p.map.pools {
                let q = p.map.firstQueue(ofPool: pool)
                for (name, receive) in [("rxq", true), ("txq", false)] {
                    let tail = (receive ? p.rxRegisters[q] : p.txRegisters[q]).tail
                    let queue = "\(path).pool\(pool).\(name)"
                    // The ring read in place (a copy per sample costs more than the simulation).
                    sim.probe("\(queue).enabled", width: 1, changes: rings) { (receive ? p.rx[q].enabled : p.tx[q].enabled) ? 1 : 0 }
                    sim.probe("\(queue).head", width: 16, changes: rings) { UInt64(receive ? p.rx[q].head : p.tx[q].head) }
                    sim.probe("\(queue).tail", width: 16, changes: rings) { UInt64(self.registers.ports[port].values[tail] & 0xFFFF) }
                    sim.probe("\(queue).prefetched", width: 8, changes: rings) { UInt64(min(receive ? p.rx[q].cached : p.tx[q].cached, 0xFF)) }
                }
                let function: SRIOVDevice.FunctionID = pool == p.map.pools - 1 ? .pf(port) : .vf(pf: port, index: pool)
                let name = pool == p.map.pools - 1 ? "\(prefix).pf\(port)" : "\(prefix).pf\(port).vf\(pool)"
                sim.probe("\(name).irq", width: 1, changes: lines) { [unowned(unsafe) sim] in self.interrupts.lastMessage[function] == sim.now ? 1 : 0 }
                if pool < p.map.pools - 1 {
                    let index = registers.mailbox.indices.vfSide[pool]
                    sim.probe("\(name).mailbox", width: 8, changes: rings) { UInt64(self.registers.ports[port].values[index] & 0xFF) }
                }
            }
        }
    }
}
