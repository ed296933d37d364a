import RTL

extension HostBridge {
    /// Registers the host's signals under `prefix` (`top.rc`): whether the IOMMU translates,
    /// its translations, IOTLB hits and misses, valid fault records, requests the guard
    /// reported, interrupts delivered.
    public func registerProbes(_ sim: Simulator, prefix: String) {
        let p = "\(prefix).iommu"
        sim.probe("\(p).enabled", width: 1) { self.iommu.translationEnabled ? 1 : 0 }
        sim.probe("\(p).translations", width: 32) { self.iommu.translations & 0xFFFF_FFFF }
        sim.probe("\(p).iotlb.hits", width: 32) { self.iommu.iotlb.hits & 0xFFFF_FFFF }
        sim.probe("\(p).iotlb.misses", width: 32) { self.iommu.iotlb.misses & 0xFFFF_FFFF }
        sim.probe("\(p).faults", width: 9) { UInt64(self.iommu.faults.count) }
        sim.probe("\(prefix).guard.violations", width: 16) { UInt64(min(self.violations.count, 0xFFFF)) }
        sim.probe("\(prefix).interrupts.delivered", width: 32) { self.interrupts.values.reduce(0, +) & 0xFFFF_FFFF }
    }
}
