import RTL

extension HostBridge {
    /// Registers the host's signals under `prefix` (`top.rc`): whether the IOMMU translates,
    /// its translations, IOTLB hits and misses, valid fault records, requests the guard
    /// reported, interrupts delivered.
    /// `changes`: what says the host's state may have changed (the root complex's ticks).
    public func registerProbes(_ sim: Simulator, prefix: String, changes: ProbeChanges? = nil) {
        let p = "\(prefix).iommu"
        sim.probe("\(p).enabled", width: 1, changes: changes) { self.iommu.translationEnabled ? 1 : 0 }
        sim.probe("\(p).translations", width: 32, changes: changes) { self.iommu.translations & 0xFFFF_FFFF }
        sim.probe("\(p).iotlb.hits", width: 32, changes: changes) { self.iommu.iotlb.hits & 0xFFFF_FFFF }
        sim.probe("\(p).iotlb.misses", width: 32, changes: changes) { self.iommu.iotlb.misses & 0xFFFF_FFFF }
        sim.probe("\(p).faults", width: 9, changes: changes) { UInt64(self.iommu.faults.count) }
        sim.probe("\(prefix).guard.violations", width: 16, changes: changes) { UInt64(min(self.violationReports, 0xFFFF)) }
        sim.probe("\(prefix).interrupts.delivered", width: 32, changes: changes) { self.interruptsDelivered & 0xFFFF_FFFF }
    }
}
